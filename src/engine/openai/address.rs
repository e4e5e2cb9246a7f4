//! Where a client may connect: plain http to this machine only. The host of
//! the base URL is resolved once, when the client is made, and every request
//! goes to those checked addresses (`CheckedAddresses`, ureq's resolver): a
//! name is never looked up again, so DNS rebinding cannot send the key or the
//! prompts off this machine, and a URL naming another host is not reached.
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use anyhow::{anyhow, bail, Result};
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// A URL's host as written, without an IPv6 address's brackets.
fn bare_host(uri: &Uri) -> Option<&str> {
    uri.host()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
}

/// The host of `base_url` and its addresses, every one of them loopback.
pub(super) struct Addresses {
    host: String,
    ips: Vec<IpAddr>,
}

/// Refuses a base URL that is not plain http to this machine: the key and the
/// prompts never leave it, and nothing here speaks TLS.
pub(super) fn check_loopback(base_url: &str) -> Result<()> {
    loopback_addresses(base_url).map(|_| ())
}

/// `check_loopback`, giving the addresses it checked.
pub(super) fn loopback_addresses(base_url: &str) -> Result<Addresses> {
    let uri: Uri = base_url
        .parse()
        .map_err(|e| anyhow!("base_url {base_url:?} is not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some(other) => bail!("base_url {base_url:?}: scheme {other} is not supported (only http to a loopback address)"),
        None => bail!("base_url {base_url:?} has no scheme (write http://127.0.0.1:PORT/v1)"),
    }
    let host = bare_host(&uri).ok_or_else(|| anyhow!("base_url {base_url:?} has no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let ips: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        // A name counts when every address it resolves to is loopback ("localhost").
        Err(_) => (host, port)
            .to_socket_addrs()
            .map(|addrs| addrs.map(|a| a.ip()).collect())
            .unwrap_or_default(),
    };
    if ips.is_empty() || !ips.iter().all(IpAddr::is_loopback) {
        bail!("base_url {base_url:?}: {host} is not a loopback address; only servers on this machine (127.0.0.1, ::1, localhost) are allowed");
    }
    Ok(Addresses {
        host: host.to_string(),
        ips,
    })
}

/// ureq's resolver for one client: the checked addresses of its host, for
/// whatever port the URL names; any other host is not found.
#[derive(Debug)]
pub(super) struct CheckedAddresses {
    host: String,
    ips: Vec<IpAddr>,
}

impl CheckedAddresses {
    pub(super) fn new(addresses: Addresses) -> Self {
        CheckedAddresses {
            host: addresses.host,
            ips: addresses.ips,
        }
    }
}

impl Resolver for CheckedAddresses {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if bare_host(uri) != Some(self.host.as_str()) {
            return Err(ureq::Error::HostNotFound);
        }
        let port = uri.port_u16().unwrap_or(80);
        let mut resolved = self.empty();
        for ip in self.ips.iter().take(16) {
            resolved.push(SocketAddr::new(*ip, port));
        }
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_addresses_are_used_for_the_host_and_no_other() {
        let resolver =
            CheckedAddresses::new(loopback_addresses("http://localhost:8080/v1").unwrap());
        let config = ureq::config::Config::default();
        let timeout = NextTimeout::default();
        let uri: Uri = "http://localhost:9/health".parse().unwrap();
        let addresses = resolver.resolve(&uri, &config, timeout).unwrap();
        assert!(!addresses.is_empty());
        assert!(addresses
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 9));
        let other: Uri = "http://127.0.0.2:9/health".parse().unwrap();
        assert!(matches!(
            resolver.resolve(&other, &config, timeout),
            Err(ureq::Error::HostNotFound)
        ));
        let v6 = CheckedAddresses::new(loopback_addresses("http://[::1]:8080/v1").unwrap());
        let uri: Uri = "http://[::1]:8080/v1/models".parse().unwrap();
        assert_eq!(
            v6.resolve(&uri, &config, timeout).unwrap()[0],
            "[::1]:8080".parse().unwrap()
        );
    }
}
