//! Links the real peers the tests run against. A missing peer is a build failure that names
//! the command installing it, never a silently skipped test.

fn require(lib: &str, package: &str) {
    if let Err(e) = pkg_config::Config::new().probe(lib) {
        panic!(
            "\n\n{lib} not found ({e}).\nInstall it with `apt-get install -y {package}`, \
             or run `cargo xtask test`, which installs every peer the tests need.\n\n"
        );
    }
}

fn main() {
    require("tss2-rc", "libtss2-dev");
    require("tss2-mu", "libtss2-dev");
    require("libtpms", "libtpms-dev");
}
