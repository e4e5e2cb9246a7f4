//! nvpmodel's power modes: the `< POWER_MODEL ID=0 NAME=MAXN >` lines of
//! /etc/nvpmodel.conf, names resolved to ids, and `nvpmodel -q` read back.

/// One mode of the board: its nvpmodel id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerModel {
    pub id: u32,
    pub name: String,
}

/// The modes an nvpmodel.conf (or `nvpmodel -p --verbose` output) defines,
/// from its `< POWER_MODEL ID=<n> NAME=<name> >` lines.
pub fn parse_power_models(text: &str) -> Vec<PowerModel> {
    text.lines()
        .filter_map(|line| {
            let line = line
                .trim()
                .strip_prefix('<')?
                .trim_end()
                .strip_suffix('>')?;
            let mut words = line.split_whitespace();
            if words.next()? != "POWER_MODEL" {
                return None;
            }
            let (mut id, mut name) = (None, None);
            for word in words {
                if let Some(v) = word.strip_prefix("ID=") {
                    id = v.parse().ok();
                } else if let Some(v) = word.strip_prefix("NAME=") {
                    name = Some(v.to_string());
                }
            }
            Some(PowerModel {
                id: id?,
                name: name?,
            })
        })
        .collect()
}

/// A mode as the sweep names it (a name, any case, or an id) -> its id.
pub fn resolve_mode(mode: &str, models: &[PowerModel]) -> Result<u32, String> {
    let found = match mode.parse::<u32>() {
        Ok(id) => models.iter().find(|m| m.id == id),
        Err(_) => models.iter().find(|m| m.name.eq_ignore_ascii_case(mode)),
    };
    found.map(|m| m.id).ok_or_else(|| {
        let known: Vec<String> = models
            .iter()
            .map(|m| format!("{} ({})", m.name, m.id))
            .collect();
        format!(
            "power mode `{mode}` is not one of this board's: {}",
            known.join(", ")
        )
    })
}

/// `nvpmodel -q` -> (name, id): "NV Power Mode: 25W" and the id on a later line.
pub fn parse_query(text: &str) -> (Option<String>, Option<u32>) {
    let mut lines = text.lines().map(str::trim);
    let name = lines
        .by_ref()
        .find_map(|line| line.strip_prefix("NV Power Mode:"))
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty());
    let id = name
        .as_ref()
        .and_then(|_| lines.find_map(|line| line.parse::<u32>().ok()));
    (name, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As Orin NX 16 GB's /etc/nvpmodel.conf has them (JetPack 6).
    const CONF: &str = "\
< PARAM TYPE=CLOCK NAME=GPU >\n\
MAX_FREQ /sys/devices/platform/bus@0/17000000.gpu/devfreq/17000000.gpu/max_freq\n\
< POWER_MODEL ID=0 NAME=MAXN >\n\
GPU MAX_FREQ 918000000\n\
< POWER_MODEL ID=1 NAME=10W >\n\
< POWER_MODEL ID=2 NAME=15W >\n\
< POWER_MODEL ID=3 NAME=25W >\n\
< PM_CONFIG DEFAULT=2 >\n";

    #[test]
    fn modes_come_from_the_power_model_lines() {
        let models = parse_power_models(CONF);
        let names: Vec<(u32, &str)> = models.iter().map(|m| (m.id, m.name.as_str())).collect();
        assert_eq!(names, [(0, "MAXN"), (1, "10W"), (2, "15W"), (3, "25W")]);
        assert_eq!(resolve_mode("maxn", &models), Ok(0));
        assert_eq!(resolve_mode("25W", &models), Ok(3));
        assert_eq!(resolve_mode("2", &models), Ok(2));
        let e = resolve_mode("30W", &models).unwrap_err();
        assert_eq!(
            e,
            "power mode `30W` is not one of this board's: MAXN (0), 10W (1), 15W (2), 25W (3)"
        );
        assert!(resolve_mode("7", &models).is_err());
    }

    #[test]
    fn query_gives_name_and_id() {
        let q = "NVPM WARN: fan mode is not set!\nNV Power Mode: 25W\n3\n";
        assert_eq!(parse_query(q), (Some("25W".into()), Some(3)));
        assert_eq!(
            parse_query("NV Power Mode: MAXN\n"),
            (Some("MAXN".into()), None)
        );
        assert_eq!(parse_query("nvpmodel: command not found"), (None, None));
    }
}
