fn main() {
    std::process::exit(driftgate::cli::main());
}
