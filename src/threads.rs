//! Thread budget: driftgate builds rayon's global pool itself so that a
//! process or address-space limit (`ulimit -u`, `ulimit -v`) never panics
//! a run.
//!
//! - Default size: the CPU count, capped at [`DEFAULT_CAP`], so memory
//!   (per-thread stacks and allocator heaps) does not grow with the core
//!   count. `--jobs N` (or `RAYON_NUM_THREADS`) asks for more explicitly.
//! - Under an address-space limit (`ulimit -v`), at most one thread per
//!   [`ADDRESS_SPACE_PER_THREAD`] of it, whatever was asked.
//! - If the pool cannot be built (thread creation refused), the size is
//!   halved until it can; if not even one thread can be created, the
//!   calling thread itself is the only worker (see [`install`]).
//! - The exec gates' coordinator thread is spawned with
//!   `std::thread::Builder` (a refused thread runs the work inline), and
//!   their worker count is capped like the pool ([`workers`]).

use std::sync::OnceLock;

/// Default pool size ceiling when neither `--jobs` nor `RAYON_NUM_THREADS`
/// asks for a size.
pub const DEFAULT_CAP: usize = 8;

static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();

/// Address space budgeted per worker thread (stack, allocator heap,
/// working set) when an address-space limit (`ulimit -v`) is set.
pub const ADDRESS_SPACE_PER_THREAD: u64 = 128 * 1024 * 1024;

/// The most threads the address-space limit leaves room for (None: no
/// limit). Even `--jobs N` is capped by it: asking for more threads than
/// the memory can hold aborts a run instead of speeding it up.
pub fn address_space_cap() -> Option<usize> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut lim) };
    if rc != 0 || lim.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    let n = lim.rlim_cur / ADDRESS_SPACE_PER_THREAD;
    Some(usize::try_from(n).unwrap_or(usize::MAX).max(1))
}

/// The pool size for a request (`0` = default), capped by the
/// address-space limit.
pub fn wanted(requested: usize) -> usize {
    let n = uncapped(requested);
    address_space_cap().map_or(n, |cap| n.min(cap))
}

fn uncapped(requested: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    if let Some(n) = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return n;
    }
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(DEFAULT_CAP)
}

/// Worker count for exec gates: the request, or the pool's capped default.
pub fn workers(requested: usize) -> usize {
    wanted(requested).max(1)
}

/// Runs `f` on driftgate's pool, built on first use (later calls reuse the
/// size chosen first). rayon's global pool is never built with more than
/// one thread: a failed `build_global` cannot be retried, so sized pools
/// are built locally (halving on failure) and `f` runs inside `install`.
/// If not even one worker thread can be created, the calling thread becomes
/// the global pool's only worker and `f` runs on it directly.
pub fn install<R: Send>(requested: usize, f: impl FnOnce() -> R + Send) -> R {
    match POOL.get_or_init(|| build(requested)) {
        Some(p) => p.install(f),
        None => f(),
    }
}

fn build(requested: usize) -> Option<rayon::ThreadPool> {
    let mut n = wanted(requested).max(1);
    loop {
        if let Ok(p) = rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            return Some(p);
        }
        if n == 1 {
            break;
        }
        n /= 2;
    }
    // Spawns nothing: the caller is the worker.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .use_current_thread()
        .build_global();
    None
}
