//! A digest of what a suite's runs depend on, its file and every prompt text it
//! read, so `--resume` can tell a suite edited since the run started.
use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest as _, Sha256};

use super::Suites;

impl Suites {
    /// Suite name -> sha256 over its file's bytes and the prompt texts it loaded.
    pub fn digests(&self) -> BTreeMap<String, String> {
        let mut digests = BTreeMap::new();
        if let Some(speed) = &self.speed {
            let mut hasher = file_hasher(&speed.path);
            for prompt in &speed.prompts {
                feed(&mut hasher, prompt.name.as_bytes());
                feed(&mut hasher, prompt.text.as_bytes());
            }
            digests.insert(speed.file.name.clone(), format!("{:x}", hasher.finalize()));
        }
        for suite in &self.quality {
            let mut hasher = file_hasher(&suite.path);
            for message in suite.cases.iter().flat_map(|c| &c.messages) {
                feed(&mut hasher, message.role.as_bytes());
                feed(&mut hasher, message.content.as_bytes());
            }
            if let Some(text) = &suite.fidelity_text {
                feed(&mut hasher, text.as_bytes());
            }
            digests.insert(suite.name.clone(), format!("{:x}", hasher.finalize()));
        }
        digests
    }
}

/// The suite file was read moments ago when it loaded; unreadable now hashes as empty.
fn file_hasher(path: &Path) -> Sha256 {
    let mut hasher = Sha256::new();
    feed(&mut hasher, &std::fs::read(path).unwrap_or_default());
    hasher
}

/// Length-prefixed, so moving text from one piece to the next changes the digest.
fn feed(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

#[cfg(test)]
mod tests {
    use crate::suite::load_suites;

    #[test]
    fn a_suite_edited_in_its_file_or_a_prompt_gets_another_digest() {
        let dir = tempfile::tempdir().unwrap();
        let suite = dir.path().join("mine.toml");
        let write = |prompt: &str| {
            std::fs::write(
                &suite,
                format!(
                    "name = \"mine\"\nkind = \"quality\"\n[[case]]\nid = \"a\"\ncategory = \"c\"\n\
                     prompt = \"{prompt}\"\nchecks = [{{ type = \"number\", value = 1 }}]\n"
                ),
            )
            .unwrap();
            load_suites(&[suite.display().to_string()])
                .unwrap()
                .digests()
        };
        let first = write("Say x.");
        assert_eq!(first, write("Say x."), "same content, same digest");
        assert_eq!(first.keys().collect::<Vec<_>>(), ["mine"]);
        assert_ne!(first, write("Say y."));
    }
}
