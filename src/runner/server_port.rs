//! Whose is the socket listening on a started server's port? The port is free
//! when the child picks it, but it is free for anyone until the server binds
//! it: another process could take it and be sent the readiness probe, the API
//! key with it. So nothing is sent until every listening socket on the port
//! (on a loopback or wildcard address) belongs to the server edgebench
//! started or to a process it started: the sockets' inodes in
//! /proc/net/tcp{,6} are looked for among the fds of that process tree. A
//! socket of root's counts too (docker's proxy for a published port): root
//! needs no stolen port to read a key.
use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// Nothing listens on the port yet.
    Nobody,
    /// The server (or a process it started) holds every listening socket.
    Ours,
    /// Some other process listens on the port.
    Theirs,
    /// This system cannot tell (no /proc): the server is trusted to have it.
    Unknown,
}

/// Who listens on `port` of this machine's loopback, as seen from the
/// process tree under `server_pid`.
pub fn listener(port: u16, server_pid: u32) -> Listener {
    const ROOT: u32 = 0;
    listener_trusting(port, server_pid, Some(ROOT))
}

/// `listener`, sockets of the `trusted` user counted as the server's.
fn listener_trusting(port: u16, server_pid: u32, trusted: Option<u32>) -> Listener {
    let Some(sockets) = listening_sockets(port) else {
        return Listener::Unknown;
    };
    if sockets.is_empty() {
        return Listener::Nobody;
    }
    let inodes: BTreeSet<u64> = sockets
        .iter()
        .filter(|socket| Some(socket.uid) != trusted)
        .map(|socket| socket.inode)
        .collect();
    let held = socket_inodes(&process_tree(server_pid));
    match inodes.is_subset(&held) {
        true => Listener::Ours,
        false => Listener::Theirs,
    }
}

/// A listening socket: its inode and its owner's uid.
#[derive(Debug, PartialEq, Eq)]
struct Socket {
    inode: u64,
    uid: u32,
}

/// The listening sockets on `port` that a connection to a loopback address
/// could reach; None without /proc/net.
fn listening_sockets(port: u16) -> Option<Vec<Socket>> {
    let v4 = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let v6 = std::fs::read_to_string("/proc/net/tcp6").unwrap_or_default();
    let sockets = v4.lines().skip(1).chain(v6.lines().skip(1));
    Some(
        sockets
            .filter_map(|line| listening_on(line, port))
            .collect(),
    )
}

/// The socket when this /proc/net/tcp{,6} line is a LISTEN socket on `port`
/// of a loopback or wildcard address.
fn listening_on(line: &str, port: u16) -> Option<Socket> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (local, state) = (fields.get(1)?, fields.get(3)?);
    let (uid, inode) = (fields.get(7)?, fields.get(9)?);
    const LISTEN: &str = "0A";
    let (address, local_port) = local.split_once(':')?;
    let reachable = *state == LISTEN
        && u16::from_str_radix(local_port, 16).ok()? == port
        && reaches_loopback(address)?;
    match reachable {
        true => Some(Socket {
            inode: inode.parse().ok()?,
            uid: uid.parse().ok()?,
        }),
        false => None,
    }
}

/// The kernel prints an address as its 32-bit words in the machine's byte order.
fn reaches_loopback(hex: &str) -> Option<bool> {
    let words: Vec<u32> = (0..hex.len() / 8)
        .map(|i| u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).ok())
        .collect::<Option<_>>()?;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    Some(match bytes.len() {
        4 => {
            let ip = Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]);
            ip.is_loopback() || ip.is_unspecified()
        }
        16 => {
            let octets: [u8; 16] = bytes.try_into().ok()?;
            let ip = Ipv6Addr::from(octets);
            let mapped = ip.to_ipv4_mapped();
            ip.is_loopback()
                || ip.is_unspecified()
                || mapped.is_some_and(|v4| v4.is_loopback() || v4.is_unspecified())
        }
        _ => return None,
    })
}

/// `root` and every process under it, from each process's parent in /proc/*/stat.
fn process_tree(root: u32) -> Vec<u32> {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(parent) = parent_of(pid) {
            children.entry(parent).or_default().push(pid);
        }
    }
    let mut tree = vec![root];
    let mut next = 0;
    while next < tree.len() {
        tree.extend(children.get(&tree[next]).into_iter().flatten());
        next += 1;
    }
    tree
}

/// The parent pid: the fourth field of /proc/PID/stat, after the name in parentheses.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// The socket inodes the processes hold open (`socket:[INODE]` fds).
fn socket_inodes(pids: &[u32]) -> BTreeSet<u64> {
    let mut inodes = BTreeSet::new();
    for pid in pids {
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"));
        for fd in fds.into_iter().flatten().flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse().ok())
            {
                inodes.insert(inode);
            }
        }
    }
    inodes
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::process::{Command, Stdio};

    #[test]
    fn a_port_held_by_another_process_is_theirs_and_the_servers_own_is_ours() {
        // This test process takes the port: for a server started as a child
        // of it, the listener is someone else's.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut server = Command::new("sleep").arg("30").spawn().unwrap();
        assert_eq!(listener_trusting(port, server.id(), None), Listener::Theirs);
        // Seen from this process's own tree, it is ours.
        assert_eq!(
            listener_trusting(port, std::process::id(), None),
            Listener::Ours
        );
        drop(listener);
        assert_eq!(listener_trusting(port, server.id(), None), Listener::Nobody);
        server.kill().unwrap();
        server.wait().unwrap();
    }

    #[test]
    fn a_listener_of_a_grandchild_is_ours() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // A wrapper shell (it stays: a command follows) whose child listens
        // for 5 s, then exits by itself.
        let script = format!(
            "python3 -c 'import socket,time; s=socket.socket(); s.bind((\"127.0.0.1\",{port})); s.listen(); time.sleep(5)'; true"
        );
        let mut wrapper = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(4);
        let mut seen = listener_trusting(port, wrapper.id(), None);
        while seen == Listener::Nobody && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(50));
            seen = listener_trusting(port, wrapper.id(), None);
        }
        let _ = wrapper.wait();
        assert_eq!(seen, Listener::Ours);
    }

    #[test]
    fn addresses_are_read_in_the_kernels_byte_order() {
        let v4 = |ip: [u8; 4]| format!("{:08X}", u32::from_ne_bytes(ip));
        assert_eq!(reaches_loopback(&v4([127, 0, 0, 1])), Some(true));
        assert_eq!(reaches_loopback(&v4([0, 0, 0, 0])), Some(true));
        assert_eq!(reaches_loopback(&v4([192, 168, 1, 5])), Some(false));
        let line = format!(
            "   0: {}:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 424242 1",
            v4([127, 0, 0, 1])
        );
        let socket = Socket {
            inode: 424242,
            uid: 1000,
        };
        assert_eq!(listening_on(&line, 8080), Some(socket));
        assert_eq!(listening_on(&line, 8081), None);
    }
}
