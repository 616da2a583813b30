//! jing-sandbox: an offline fake of the JING Social Open Platform API.
//!
//! See `jing-sandbox --help` and README.md for the contract.

mod app;
mod cli;
mod server;

use std::io::Write;
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cli = match cli::parse(&args) {
        Ok(cli::Parsed::Run(c)) => c,
        Ok(cli::Parsed::Help) => {
            print!("{}", cli::HELP);
            return;
        }
        Ok(cli::Parsed::Version) => {
            println!("jing-sandbox {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Err(e) => {
            eprintln!("jing-sandbox: {e}");
            std::process::exit(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("jing-sandbox: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let app = Arc::new(app::App::new(cli.config.clone()));
    let result = rt.block_on(server::run(cli, app));
    let _ = std::io::stdout().flush();
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("jing-sandbox: {e}");
            std::process::exit(1);
        }
    }
}
