//! The `boxoffice` binary: all behaviour lives in the library; this only hands over.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    boxoffice::cli::main().await
}
