//! `recipes/dev_libraries.sh`: which libraries the image installs while the build runs, for
//! which `build_apt` packages. Run with the host's `dpkg-query` on a package database written
//! here (the shape of a builder's after `apt-get install`).

use std::process::Command;

/// A builder's installed packages: (name, section, depends).
const INSTALLED: &[(&str, &str, &str)] = &[
    ("libc6", "libs", ""),
    ("libssl3", "libs", "libc6 (>= 2.34)"),
    ("libssl-dev", "libdevel", "libssl3 (= 3.0.17-1~deb12u2)"),
    ("libpq5", "libs", "libc6 (>= 2.34), libssl3 (>= 3.0.0)"),
    (
        "libpq-dev",
        "libdevel",
        "libpq5 (= 15.14-0+deb12u1), libssl-dev",
    ),
    ("libmariadb3", "libs", "mariadb-common, libc6 (>= 2.34)"),
    ("mariadb-common", "database", ""),
    (
        "libmariadb-dev",
        "libdevel",
        "libmariadb3 (= 1:10.11.19-0+deb12u1), libssl-dev, libc6 (>= 2.34)",
    ),
    (
        "libmariadb-dev-compat",
        "libdevel",
        "libmariadb-dev (= 1:10.11.19-0+deb12u1)",
    ),
    (
        "default-libmysqlclient-dev",
        "database",
        "libmariadb-dev-compat",
    ),
    ("rpcsvc-proto", "libs", "libc6 (>= 2.34)"),
    ("libc6-dev", "libdevel", "libc6 (= 2.36-9), rpcsvc-proto"),
    ("gcc", "devel", "cpp (= 4:12.2.0-3), gcc-12 (>= 12.2.0-1~)"),
    ("cpp", "interpreters", ""),
    ("gcc-12", "devel", ""),
    (
        "build-essential",
        "devel",
        "libc6-dev | libc-dev, gcc (>= 4:12.2), make",
    ),
    ("make", "devel", ""),
    ("libpython3.11", "libs", "libc6 (>= 2.34)"),
    (
        "libpython3.11-dev",
        "libdevel",
        "libpython3.11 (= 3.11.2-6)",
    ),
    (
        "libpython3-dev",
        "libdevel",
        "libpython3.11-dev (>= 3.11.2-1~)",
    ),
    ("python3", "python", ""),
    (
        "python3-dev",
        "python",
        "python3 (= 3.11.2-1+b1), libpython3-dev (= 3.11.2-1+b1)",
    ),
    // An alternative: the installed one counts.
    ("libjpeg62-turbo", "libs", "libc6 (>= 2.34)"),
    (
        "libjpeg62-turbo-dev",
        "libdevel",
        "libjpeg62-turbo (= 1:2.1.5-2)",
    ),
    (
        "libjpeg-dev",
        "libdevel",
        "libjpeg9-dev | libjpeg62-turbo-dev:amd64",
    ),
];

/// What `dev_libraries` prints for `packages`, one per line.
fn libraries(packages: &[&str]) -> Vec<String> {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let db = std::env::temp_dir().join(format!(
        "stagefile-dev-libraries-{}-{call}",
        std::process::id()
    ));
    std::fs::create_dir_all(&db).expect("mkdir");
    let status: String = INSTALLED
        .iter()
        .map(|(name, section, depends)| {
            format!(
                "Package: {name}\nStatus: install ok installed\nSection: {section}\n\
                 Architecture: amd64\nMaintainer: nobody\nVersion: 1\nDescription: test\n\
                 Depends: {depends}\n\n"
            )
        })
        .collect();
    std::fs::write(db.join("status"), status).expect("write status");
    let script = format!(
        "{}\ndev_libraries \"$0\" \"$@\"",
        include_str!("../src/recipes/dev_libraries.sh")
    );
    let output = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(&db)
        .args(packages)
        .output()
        .expect("sh (dpkg-query comes with Debian)");
    let _ = std::fs::remove_dir_all(&db);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_dev_package_has_the_libraries_it_depends_on() {
    assert_eq!(libraries(&["libpq-dev"]), ["libpq5"]);
    // Versions in build_apt are left out of the lookup.
    assert_eq!(libraries(&["libpq-dev=15.14-0+deb12u1"]), ["libpq5"]);
}

#[test]
fn a_wrapper_of_dev_packages_has_theirs() {
    assert_eq!(
        libraries(&["default-libmysqlclient-dev"]),
        ["libc6", "libmariadb3"]
    );
    // Of alternatives, the one installed.
    assert_eq!(libraries(&["libjpeg-dev"]), ["libjpeg62-turbo"]);
}

#[test]
fn tools_and_python3_dev_have_none() {
    assert_eq!(
        libraries(&["build-essential", "gcc", "make", "python3-dev"]),
        Vec::<String>::new()
    );
    // libc6-dev's rpcsvc-proto is in section libs but is not a library.
    assert_eq!(libraries(&["libc6-dev"]), ["libc6"]);
    assert_eq!(libraries(&["not-installed", "libpq-dev"]), ["libpq5"]);
}
