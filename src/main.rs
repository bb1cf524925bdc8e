//! The `duijie` binary: parse, start logging, dispatch. Everything else is in the library.

use clap::Parser;

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
