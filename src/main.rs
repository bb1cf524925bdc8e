//! The `duijie` binary: parse, start logging, dispatch. Everything else is in the library.

use clap::Parser;

/// mimalloc instead of the system allocator: the match path allocates many small,
/// short-lived values (terms, features, JSON), and glibc's malloc/free were a fifth of its
/// time under load (BENCHMARKS.md, "Bottlenecks found and removed").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = duijie::cli::Cli::parse();
    duijie::cli::init_logging(&cli);
    match duijie::cli::run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("错误：{e:#}");
            std::process::exit(2);
        }
    }
}
