//! `gbg-go`: run GBG GO journeys through the sandboxed client component.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
