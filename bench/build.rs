//! Links libtss2-mu, one of the peers the codec is measured against.

fn main() {
    if let Err(e) = pkg_config::Config::new().probe("tss2-mu") {
        panic!(
            "\n\ntss2-mu not found ({e}).\nInstall it with `apt-get install -y libtss2-dev` \
             (or run `cargo xtask test`, which installs every peer).\n\n"
        );
    }
}
