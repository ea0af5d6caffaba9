//! Backup targets of `ops/bindings/backup.inventory.yaml`.

use super::values::{enabled, items, text};
use crate::documents::{pointer_escape, Document};
use serde_json::Value;

pub struct BackupTarget<'a> {
    pub index: usize,
    pub value: &'a Value,
    pub name: String,
    pub host: Option<String>,
    pub glob: Option<String>,
    pub base_path: Option<String>,
    pub enabled: bool,
}

impl BackupTarget<'_> {
    pub fn ptr(&self, field: &str) -> String {
        if field.is_empty() {
            format!("/targets/{}", self.index)
        } else {
            format!("/targets/{}/{}", self.index, pointer_escape(field))
        }
    }
}

pub fn backup_targets(doc: &Document) -> Vec<BackupTarget<'_>> {
    items(doc.value(), "targets")
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_object())
        .map(|(index, v)| BackupTarget {
            index,
            value: v,
            name: text(v.get("name")).unwrap_or_else(|| format!("#{}", index + 1)),
            host: text(v.get("host")),
            glob: text(v.get("glob")),
            base_path: text(v.get("base_path")),
            enabled: enabled(v),
        })
        .collect()
}
