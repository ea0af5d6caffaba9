//! D163 workbench-ssh-attach-parity-lock: the workbench SSH config agrees
//! with the spine's ssh.targets.yaml.
//!
//! For every spine ssh target that has a concrete `Host` alias in the
//! workbench's `dotfiles/ssh/config.d/*.conf` (`gate_options.D163.config_glob`):
//! the effective `HostName` equals the target's `host` or its
//! `tailscale_ip` (the workbench may pin a LAN-first target to Tailscale),
//! and the effective `User` equals the target's `user` (or
//! `ssh.defaults.user`). Effective values follow ssh_config semantics:
//! the first block (files in path order, blocks in file order) that matches
//! the alias — including `Host *` and wildcard patterns — and sets the
//! keyword wins. Without a workbench checkout the gate has nothing to read
//! and reports nothing (the engine marks it skipped).

use super::common::*;
use crate::documents::sshconfig::HostBlock;
use crate::documents::Document;
use crate::findings::{Finding, RepoId};
use crate::gates::{GateContext, NativeGate};
use globset::Glob;
use std::collections::HashMap;
use std::sync::Arc;

pub struct WorkbenchSshParity;

/// This gate, for the generated registry (see build.rs).
pub(crate) static GATE: WorkbenchSshParity = WorkbenchSshParity;

const DEFAULT_GLOB: &str = "dotfiles/ssh/config.d/*.conf";

impl NativeGate for WorkbenchSshParity {
    fn name(&self) -> &'static str {
        "workbench_ssh_parity"
    }

    fn run(&self, cx: &GateContext<'_>) -> Result<Vec<Finding>, String> {
        let Some(spine_doc) = spine_doc(cx, SSH_TARGETS) else {
            return Ok(Vec::new());
        };
        let glob_text = opt_str(cx, "config_glob").unwrap_or_else(|| DEFAULT_GLOB.into());
        let glob = Glob::new(&glob_text)
            .map_err(|e| {
                format!(
                    "gate_options.{}.config_glob `{glob_text}` is invalid: {e}",
                    cx.meta.id
                )
            })?
            .compile_matcher();
        let docs: Vec<Arc<Document>> = cx
            .inputs
            .paths(RepoId::Workbench)
            .into_iter()
            .filter(|p| glob.is_match(p))
            .filter_map(|p| cx.doc(RepoId::Workbench, p))
            .collect();
        // Every block in ssh's reading order, and the first concrete block per alias.
        let blocks: Vec<(&Arc<Document>, &HostBlock)> = docs
            .iter()
            .flat_map(|d| d.ssh_config().hosts.iter().map(move |b| (d, b)))
            .filter(|(_, b)| !b.is_match)
            .collect();
        let mut by_alias: HashMap<&str, usize> = HashMap::new();
        for (i, (_, b)) in blocks.iter().enumerate() {
            for a in b.aliases() {
                by_alias.entry(a).or_insert(i);
            }
        }
        let effective = |alias: &str, key: &str| -> Option<(&Arc<Document>, &str, usize)> {
            blocks.iter().find_map(|(d, b)| {
                if !b.applies_to(alias) {
                    return None;
                }
                b.get(key).map(|(v, line)| (*d, v, line))
            })
        };

        let targets = ssh_targets(&spine_doc);
        let mut out = Vec::new();
        for t in &targets.targets {
            let Some(&bi) = by_alias.get(t.id.as_str()) else {
                continue;
            };
            let (hdoc, block) = blocks[bi];
            let host_line = line_text_location(hdoc, block.line);
            let subject = format!("ssh_host:{}", t.id);
            let id = &t.id;

            // HostName
            if let Some(spine_host) = &t.host {
                let ok_values: Vec<&str> = [Some(spine_host.as_str()), t.tailscale_ip.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
                let expected = match &t.tailscale_ip {
                    Some(ts) if ts != spine_host => {
                        format!("host {spine_host} (or tailscale_ip {ts})")
                    }
                    _ => format!("host {spine_host}"),
                };
                let related = spine_doc.value_location(&t.ptr("host"));
                match effective(id, "hostname") {
                    None => out.push(
                        cx.finding_at(
                            host_line.clone(),
                            format!("workbench SSH config `Host {id}` sets no HostName, but ssh.targets `{id}` has {expected}"),
                        )
                        .with_subject(&subject)
                        .with_related(related, format!("ssh target `{id}`")),
                    ),
                    Some((d, v, line)) if !ok_values.contains(&v) => out.push(
                        cx.finding_at(
                            line_text_location(d, line),
                            format!("workbench SSH config `Host {id}` has HostName {v}, but ssh.targets `{id}` has {expected}"),
                        )
                        .with_subject(&subject)
                        .with_related(related, format!("ssh target `{id}` host")),
                    ),
                    Some(_) => {}
                }
            }

            // User
            let (expected_user, user_ptr) = match (&t.user, &targets.default_user) {
                (Some(u), _) => (u.clone(), t.ptr("user")),
                (None, Some(u)) => (u.clone(), "/ssh/defaults/user".to_string()),
                (None, None) => continue,
            };
            let related = spine_doc.value_location(&user_ptr);
            match effective(id, "user") {
                None => out.push(
                    cx.finding_at(
                        host_line,
                        format!("workbench SSH config `Host {id}` sets no User (ssh would use the local login), but ssh.targets `{id}` has user {expected_user}"),
                    )
                    .with_subject(&subject)
                    .with_related(related, format!("ssh target `{id}` user")),
                ),
                Some((d, v, line)) if v != expected_user => out.push(
                    cx.finding_at(
                        line_text_location(d, line),
                        format!("workbench SSH config `Host {id}` uses User {v}, but ssh.targets `{id}` has user {expected_user}"),
                    )
                    .with_subject(&subject)
                    .with_related(related, format!("ssh target `{id}` user")),
                ),
                Some(_) => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::*;
    use super::*;

    const SPINE: &str = "ssh:\n  defaults:\n    user: ubuntu\n  targets:\n    - id: pve\n      host: \"192.168.1.184\"\n      user: root\n    - id: docker-host\n      host: \"192.168.1.200\"\n      tailscale_ip: \"100.92.156.118\"\n      user: ronny\n    - id: dev-tools\n      host: \"192.168.1.206\"\n      tailscale_ip: \"100.90.167.39\"\n    - id: not-in-workbench\n      host: \"1.2.3.4\"\n";
    const CONF: &str = "dotfiles/ssh/config.d/tailscale.conf";

    fn run(conf: &str) -> Vec<Finding> {
        findings(run_gate(
            "D163",
            &[(SSH_TARGETS, SPINE)],
            Some(&[(CONF, conf)]),
            None,
        ))
    }

    #[test]
    fn matching_config_passes_with_aliases_tailscale_and_defaults() {
        let f = run("Host pve pve-shop\n  HostName 192.168.1.184\n  User root\n\nHost docker-host\n  hostname=100.92.156.118\n  USER ronny\n\nHost dev-tools\n  HostName 192.168.1.206\n\nHost *\n  User ubuntu\n");
        assert!(f.is_empty(), "{:?}", summary(&f));
    }

    #[test]
    fn user_and_hostname_mismatches_point_at_workbench_lines() {
        let f = run("Host pve-shop pve\n  HostName 192.168.1.2\n  User root\n\nHost docker-host\n  HostName 192.168.1.200\n  User root\n\nHost dev-tools\n  HostName 100.90.167.39\n\nHost *\n  User admin\n");
        let got: Vec<(&str, usize, &str)> = f
            .iter()
            .map(|f| {
                (
                    f.location.path.as_str(),
                    f.location.line(),
                    f.subject.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (CONF, 2, "ssh_host:pve"),
                (CONF, 7, "ssh_host:docker-host"),
                (CONF, 13, "ssh_host:dev-tools"),
            ]
        );
        assert_eq!(f[0].code, "D163");
        assert_eq!(f[0].location.repo, RepoId::Workbench);
        assert_eq!(f[0].location.col(), 3, "points at the HostName keyword");
        assert_eq!(f[0].message, "workbench SSH config `Host pve` has HostName 192.168.1.2, but ssh.targets `pve` has host 192.168.1.184");
        assert_eq!(f[1].message, "workbench SSH config `Host docker-host` uses User root, but ssh.targets `docker-host` has user ronny");
        assert_eq!(f[1].related[0].location.path, SSH_TARGETS);
        assert_eq!(f[1].related[0].location.line(), 11);
        // the effective user of dev-tools comes from `Host *`
        assert_eq!(f[2].message, "workbench SSH config `Host dev-tools` uses User admin, but ssh.targets `dev-tools` has user ubuntu");
    }

    #[test]
    fn no_workbench_means_skipped_not_green() {
        assert_eq!(
            run_gate("D163", &[(SSH_TARGETS, SPINE)], None, None),
            Err("skipped: no workbench checkout (needs workbench:dotfiles/ssh/config.d/*.conf)".into())
        );
    }
}
