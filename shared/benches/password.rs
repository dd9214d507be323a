//! Argon2id verification time at the portal's parameters (m = 19 MiB, t = 2, p = 1).
//! Budget: <= 250 ms on one core. Run: `cargo bench -p shared --bench password`.

use shared::identity::password::{self, Password};
use std::time::{Duration, Instant};

const BUDGET: Duration = Duration::from_millis(250);

fn main() {
    let hash = password::hash(&Password::parse("correct horse battery staple").unwrap());
    let mut samples: Vec<Duration> = (0..21)
        .map(|_| {
            let start = Instant::now();
            assert!(password::verify("correct horse battery staple", &hash));
            start.elapsed()
        })
        .collect();
    samples.sort();
    let median = samples[samples.len() / 2];
    println!(
        "argon2id verify (m={} KiB, t={}, p={}): median {:?}, min {:?}, max {:?} over {} runs; budget {:?}",
        password::MEMORY_KIB,
        password::ITERATIONS,
        password::LANES,
        median,
        samples[0],
        samples[samples.len() - 1],
        samples.len(),
        BUDGET
    );
    if median > BUDGET {
        eprintln!("over budget");
        std::process::exit(1);
    }
}
