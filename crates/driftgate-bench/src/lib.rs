//! driftgate developer tools, kept out of the product binary: the synthetic
//! benchmark corpus generator (`corpus`, binary `driftgate-corpus`) used by
//! the divan benchmarks (`cargo bench -p driftgate-bench`), the corpus tests
//! and `bench/compare.sh`.

pub mod corpus;
