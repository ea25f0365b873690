fn main() -> std::process::ExitCode {
    flatline::cli::main()
}
