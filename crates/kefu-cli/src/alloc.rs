//! The `kefu` binary's allocator: jemalloc, with one arena.
//!
//! Decoding a vendor's page makes many small strings and maps that are
//! freed on another thread once written (to a file, or to the sync's
//! database). glibc's `malloc` was about a fifth of a sync's and an
//! export's CPU (`_int_malloc`, `_int_free`, `malloc_consolidate`,
//! `unlink_chunk`). With jemalloc, interleaved at 1,000,000 sessions (4
//! pairs each), a sync into SQLite took 21.5-27.7 s against 28.3-33.5 s
//! and an export 19.4-21.4 s against 24.6-30.1 s (docs/sync.md,
//! Performance, issue 12y).
//!
//! One arena, because jemalloc's default (four per core) gives each thread
//! its own, and memory freed by another thread stays with its arena: a
//! 1,000,000-session export then peaked at 54-57 MB, over its 40 MB
//! ceiling (docs/benchmarks.md). With one arena it peaked at 30-33 MB at
//! the same speed; each thread still allocates from its own cache, so the
//! arena's lock is rarely taken. mimalloc, tried in issue 12p, held the
//! same export at 44 MiB.
//!
//! Libraries do not choose an allocator; only this binary does. Unix
//! only (main.rs); elsewhere the binary keeps the system allocator.

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read when it starts (before `main`) from the C
/// symbol `malloc_conf` (`_rjem_`-prefixed in tikv-jemalloc-sys's build):
/// a `const char *` to a NUL-terminated string, which a `&'static u8` to
/// the string's first byte is.
#[allow(unsafe_code)]
// SAFETY: the symbol is defined nowhere else in the program (jemalloc only
// declares it, weakly), and it holds a valid pointer to a static,
// NUL-terminated string that is never written.
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &u8 = &b"narenas:1\0"[0];

#[cfg(test)]
mod tests {
    #[test]
    fn jemalloc_runs_with_the_options_it_was_given() {
        // Without the symbol jemalloc would pick four arenas a core.
        let narenas = tikv_jemalloc_ctl::opt::narenas::read().expect("opt.narenas");
        assert_eq!(narenas, 1);
    }
}
