//! OpenSSH client config (`ssh_config(5)`): `Host` blocks with their options.
//!
//! Hand-written (about 80 lines) because the crates for it drop line numbers,
//! which every finding needs. Handles multi-alias `Host a b`, `Key Value` and
//! `Key=Value`, case-insensitive keywords, quoted values, comments and
//! `Match` blocks (kept, never treated as hosts).

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SshConfig {
    pub hosts: Vec<HostBlock>,
}

/// One `Host a b c` block. `patterns` holds every alias on the line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostBlock {
    pub patterns: Vec<String>,
    pub line: usize,
    /// keyword (lower-cased) → (value, 1-based line), in file order.
    pub options: Vec<(String, String, usize)>,
    /// A `Match` block (never a concrete host).
    pub is_match: bool,
}

impl HostBlock {
    /// First value of a keyword (case-insensitive), with its line.
    pub fn get(&self, key: &str) -> Option<(&str, usize)> {
        let key = key.to_ascii_lowercase();
        self.options
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, v, l)| (v.as_str(), *l))
    }

    /// Concrete host aliases: patterns without wildcards or negation.
    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.patterns
            .iter()
            .map(String::as_str)
            .filter(|p| !p.contains(['*', '?', '!']))
    }

    /// `Host *` style defaults block (every pattern is a wildcard).
    pub fn is_wildcard(&self) -> bool {
        self.is_match || self.aliases().next().is_none()
    }

    /// Does ssh apply this block when connecting to `alias`? OpenSSH
    /// semantics: a negated pattern that matches excludes the host, else any
    /// positive pattern must match (case-insensitively); options before the
    /// first `Host` apply to every host; `Match` conditions cannot be
    /// evaluated offline and never apply.
    pub fn applies_to(&self, alias: &str) -> bool {
        if self.is_match {
            return false;
        }
        if self.patterns.is_empty() {
            return true;
        }
        let mut hit = false;
        for p in &self.patterns {
            match p.strip_prefix('!') {
                Some(neg) if pattern_matches(neg, alias) => return false,
                Some(_) => {}
                None => hit |= pattern_matches(p, alias),
            }
        }
        hit
    }
}

/// `ssh_config(5)` pattern match: `*` any run, `?` one character, ASCII
/// case-insensitive. Iterative with one backtrack point, so `*a*a*a*b`
/// patterns stay linear-ish, never exponential.
pub fn pattern_matches(pattern: &str, s: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), s.as_bytes());
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(c) if *c == b'?' || c.eq_ignore_ascii_case(&s[si]) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|c| *c == b'*')
}

impl SshConfig {
    /// The concrete block declaring `alias` (case-insensitively), if any.
    pub fn host(&self, alias: &str) -> Option<&HostBlock> {
        self.hosts
            .iter()
            .find(|h| !h.is_match && h.aliases().any(|a| a.eq_ignore_ascii_case(alias)))
    }
}

fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub fn parse(text: &str) -> SshConfig {
    let mut cfg = SshConfig::default();
    // Options before the first Host apply to all hosts: keep them in a
    // pseudo-block with no patterns (a wildcard).
    let mut current = HostBlock::default();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Keyword, then `=` or whitespace, then the value.
        let split = line
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(line.len());
        let key = line[..split].to_ascii_lowercase();
        let rest = line[split..].trim_start();
        let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
        // Trailing comments are not part of ssh_config syntax, but people
        // write them; a `#` after whitespace ends the value.
        let comment = rest
            .char_indices()
            .zip(rest.chars().skip(1))
            .find(|((_, c), next)| c.is_whitespace() && *next == '#')
            .map(|((i, _), _)| i);
        let rest = match comment {
            Some(p) => rest[..p].trim_end(),
            None => rest,
        };
        match key.as_str() {
            "host" | "match" => {
                let done = std::mem::take(&mut current);
                if !done.patterns.is_empty() || !done.options.is_empty() || done.is_match {
                    cfg.hosts.push(done);
                }
                current = HostBlock {
                    patterns: if key == "host" {
                        split_words(rest)
                    } else {
                        Vec::new()
                    },
                    line: line_no,
                    options: Vec::new(),
                    is_match: key == "match",
                };
            }
            _ => {
                let value = rest.trim_matches('"').to_string();
                current.options.push((key, value, line_no));
            }
        }
    }
    if !current.patterns.is_empty() || !current.options.is_empty() || current.is_match {
        cfg.hosts.push(current);
    }
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = "# tailscale hosts\nHost *\n  ServerAliveInterval 30\n  User nobody\n\nHost pve pve-shop\n  HostName 192.168.1.2\n  user root\n\nHost immich\n  hostname=100.114.101.50   # tailscale\n  USER = ronny\n  IdentityFile \"~/.ssh/id ed\"\nMatch host foo\n  User bar\n";

    #[test]
    fn multi_alias_hosts_and_case_insensitive_keys() {
        let c = parse(CFG);
        let pve = c.host("pve-shop").unwrap();
        assert_eq!(pve.line, 6);
        assert_eq!(pve.get("HostName"), Some(("192.168.1.2", 7)));
        assert_eq!(pve.get("user"), Some(("root", 8)));
        let immich = c.host("immich").unwrap();
        assert_eq!(immich.get("hostname"), Some(("100.114.101.50", 11)));
        assert_eq!(immich.get("user"), Some(("ronny", 12)));
        assert_eq!(immich.get("identityfile"), Some(("~/.ssh/id ed", 13)));
    }

    #[test]
    fn trailing_comments_after_tabs_are_dropped() {
        let c = parse("Host a\n  User bob\t# the admin\n  HostName 10.0.0.1 # lan\n");
        let a = c.host("a").unwrap();
        assert_eq!(a.get("user"), Some(("bob", 2)));
        assert_eq!(a.get("hostname"), Some(("10.0.0.1", 3)));
    }

    #[test]
    fn wildcards_and_match_blocks_are_not_hosts() {
        let c = parse(CFG);
        assert!(c.hosts[0].is_wildcard());
        assert!(c.host("*").is_none());
        assert!(c.hosts.last().unwrap().is_match);
        assert!(c.host("foo").is_none());
        let concrete: Vec<&str> = c
            .hosts
            .iter()
            .filter(|h| !h.is_wildcard())
            .flat_map(|h| h.aliases())
            .collect();
        assert_eq!(concrete, vec!["pve", "pve-shop", "immich"]);
    }

    #[test]
    fn host_patterns_follow_openssh() {
        assert!(pattern_matches("web-?", "web-1"));
        assert!(!pattern_matches("web-?", "web-10"));
        assert!(pattern_matches("*", ""));
        assert!(pattern_matches("W*-*", "web-shop"), "case-insensitive");
        assert!(pattern_matches("pve-*", "PVE-shop"));
        assert!(!pattern_matches("pve-*", "pve"));
        assert!(!pattern_matches("a*b", "a-c"));
        // Pathological patterns finish at once.
        let long = "a".repeat(5000);
        assert!(!pattern_matches("*a*a*a*a*a*a*a*a*a*a*a*a*b", &long));
        let b = HostBlock {
            patterns: vec!["*".into(), "!nas".into()],
            ..HostBlock::default()
        };
        assert!(b.applies_to("pve"));
        assert!(!b.applies_to("nas"));
        assert!(!b.applies_to("NAS"), "negation is case-insensitive too");
        let m = HostBlock {
            patterns: vec!["*".into()],
            is_match: true,
            ..HostBlock::default()
        };
        assert!(!m.applies_to("pve"), "Match blocks are not evaluated");
        assert!(
            HostBlock::default().applies_to("x"),
            "options before any Host"
        );
        let cfg = parse("Host Docker-Host\n  User ronny\n");
        assert!(cfg.host("docker-host").is_some());
    }
}
