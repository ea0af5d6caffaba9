//! The `driftgate` binary: see `cli::main`.

/// mimalloc instead of the system allocator: a run builds and drops
/// millions of small values (YAML trees, span trees, findings) from two
/// threads, which glibc malloc serves measurably slower (README,
/// Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(driftgate::cli::main());
}
