//! The `arca` binary: `arca server` and the client commands (see `cli`).

mod cli;

/// mimalloc instead of the system allocator: the request path allocates many small,
/// short-lived objects, and glibc's malloc/free took about 15% of the server's CPU per request
/// in the benchmark's profile (with mimalloc: 27 → 18 µs of CPU per KV read). Built without
/// transparent huge pages (`no_thp`) so resident memory grows in small pages, not 2 MiB ones.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
