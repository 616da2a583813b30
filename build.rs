//! Generates include/jing.h from src/ffi/ with cbindgen, adding version macros from
//! Cargo.toml. The header is committed; CI rebuilds and fails when it changed.

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let mut config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml is readable");
    let version = |key| std::env::var(key).unwrap();
    config.after_includes = Some(format!(
        "\n#define JING_VERSION_MAJOR {}\n#define JING_VERSION_MINOR {}\n#define JING_VERSION_PATCH {}\n#define JING_VERSION_STRING \"{}\"",
        version("CARGO_PKG_VERSION_MAJOR"),
        version("CARGO_PKG_VERSION_MINOR"),
        version("CARGO_PKG_VERSION_PATCH"),
        version("CARGO_PKG_VERSION"),
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen can read src/ffi/mod.rs");
    // Writes only when the text changed, so an unchanged header keeps its timestamp.
    bindings.write_to_file(dir.join("include/jing.h"));
}
