//! Where the spine keeps its core bindings (repo paths in the spine).

pub const VM_LIFECYCLE: &str = "ops/bindings/vm.lifecycle.yaml";
pub const SSH_TARGETS: &str = "ops/bindings/ssh.targets.yaml";
pub const SERVICE_REGISTRY: &str = "docs/governance/SERVICE_REGISTRY.yaml";
pub const BACKUP_INVENTORY: &str = "ops/bindings/backup.inventory.yaml";
pub const SERVICES_HEALTH: &str = "ops/bindings/services.health.yaml";
pub const TOPOLOGY: &str = "ops/bindings/topology.sites.yaml";
pub const STARTUP: &str = "ops/bindings/startup.sequencing.yaml";
pub const COMPOSE_TARGETS: &str = "ops/bindings/docker.compose.targets.yaml";
pub const HOME_DEVICES: &str = "ops/bindings/home.device.registry.yaml";
pub const IP_POLICY: &str = "ops/bindings/vm.ip.parity.policy.yaml";
pub const CONVENTIONS: &str = "ops/bindings/spine.schema.conventions.yaml";
pub const DEVICE_SSOT: &str = "docs/governance/DEVICE_IDENTITY_SSOT.md";
pub const CAPABILITIES: &str = "ops/capabilities.yaml";
pub const COVERAGE_POLICY: &str = "ops/bindings/site.coverage.policy.yaml";
