//! `raw-export --from T --to T --out FILE`: the sequential baseline of
//! `kefu sessions export`, with reqwest and serde_json only.
//!
//! Gets a token, then GETs `serviceSessionHistorys` one page after another
//! (`per_page` 50, by stop time, oldest first: the parameters kefu sends)
//! until `total_entries` are read or a page comes back short, writing each
//! item as one JSON line. `T` is the vendor's format,
//! `2024-05-01T00:00:00.000Z`. Reads `KEFU_EASEMOB_*` from the environment
//! (as `kefu sandbox serve` announces them). Prints
//! `{"sessions", "pages", "seconds", "sessions_per_s"}`.
#![allow(clippy::print_stdout)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use kefu_bench::args::Args;
use kefu_bench::entry::Runtime;
use kefu_bench::raw::{Login, RawEasemob, export_params};

fn main() -> ExitCode {
    kefu_bench::entry::block_on("raw-export", Runtime::CurrentThread, run)
        .map_or(ExitCode::FAILURE, |()| ExitCode::SUCCESS)
}

async fn run() -> kefu_bench::Result<()> {
    let args = Args::from_env()?;
    let from = args.required("from")?;
    let to = args.required("to")?;
    let mut out = BufWriter::new(File::create(args.required("out")?)?);
    let started = Instant::now();
    let client = RawEasemob::connect(&Login::from_env()?).await?;
    let params = export_params(from, to);
    let (mut written, mut pages) = (0u64, 0u32);
    for page in 1.. {
        let (total, items) = client.session_page(page, &params).await?;
        pages += 1;
        let short = items.len() < 50;
        for item in &items {
            serde_json::to_writer(&mut out, item)?;
            out.write_all(b"\n")?;
        }
        written += items.len() as u64;
        if short || written >= total {
            break;
        }
    }
    out.flush()?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "sessions": written,
            "pages": pages,
            "seconds": seconds,
            "sessions_per_s": written as f64 / seconds,
        })
    );
    Ok(())
}
