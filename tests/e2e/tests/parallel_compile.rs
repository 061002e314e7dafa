//! A setuptools extension's C sources compile in parallel when uv builds it (one thread per
//! CPU of the build), and the module works.

use stagefile_e2e::{Scratch, build, run};

/// Records, in a module beside the extension, how many threads ran the compiler for a C
/// source and how many CPUs the build had.
const SETUP_PY: &str = r#"import os, threading
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class Recording(build_ext):
    def build_extensions(self):
        threads = set()

        def recording(run):
            def run_and_record(cmd, *args, **kwargs):
                if "-c" in cmd:
                    threads.add(threading.get_ident())
                return run(cmd, *args, **kwargs)
            return run_and_record

        # Newer setuptools runs the compiler with `call`, older releases with `spawn`.
        for name in ("call", "spawn"):
            if hasattr(self.compiler, name):
                setattr(self.compiler, name, recording(getattr(self.compiler, name)))
        super().build_extensions()
        with open(os.path.join(self.build_lib, "fourparts_build.py"), "w") as f:
            f.write(f"threads = {len(threads)}\ncpus = {len(os.sched_getaffinity(0))}\n")


parts = [f"src/{p}.c" for p in "abcd"]
setup(ext_modules=[Extension("fourparts", parts)], cmdclass={"build_ext": Recording})
"#;

const PYPROJECT: &str = "[build-system]\nrequires = [\"setuptools>=61\"]\n\
build-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"fourparts\"\nversion = \"1.0\"\n";

const MODULE_C: &str = r#"#include <Python.h>
int part_b(void); int part_c(void); int part_d(void);
static PyObject *total(PyObject *self, PyObject *args) {
    return PyLong_FromLong(1 + part_b() + part_c() + part_d());
}
static PyMethodDef methods[] = {{"total", total, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "fourparts", NULL, -1, methods};
PyMODINIT_FUNC PyInit_fourparts(void) { return PyModule_Create(&module); }
"#;

#[test]
fn an_extensions_c_sources_compile_in_parallel_into_a_working_module() {
    let spec = "# syntax=stagefile:dev\n[stage.app]\npython = \"3.11\"\n\
                build_apt = [\"gcc\", \"libc6-dev\"]\ncmd = [\"python\"]\n";
    let dir = Scratch::with_files(
        "parallel-compile",
        &[
            ("Stagefile.toml", spec),
            ("pyproject.toml", PYPROJECT),
            ("setup.py", SETUP_PY),
            ("src/a.c", MODULE_C),
            ("src/b.c", "int part_b(void) { return 20; }\n"),
            ("src/c.c", "int part_c(void) { return 300; }\n"),
            ("src/d.c", "int part_d(void) { return 4000; }\n"),
        ],
    );
    let image = build(&dir.path, "stagefile-e2e/parallel-compile", &[])
        .expect_ok()
        .tag;
    let out = run(
        &image,
        &[
            "python",
            "-c",
            "import fourparts, fourparts_build as b; print(fourparts.total(), b.threads, b.cpus)",
        ],
    );
    let fields: Vec<u32> = out
        .split_whitespace()
        .map(|f| f.parse().expect("numbers"))
        .collect();
    let [total, threads, cpus] = fields[..] else {
        panic!("unexpected output: {out}");
    };
    assert_eq!(total, 4321, "the module links all four sources");
    assert!(
        cpus >= 2,
        "the build had {cpus} CPU: this test needs an engine with 2 or more"
    );
    assert_eq!(
        threads,
        cpus.min(4),
        "four sources compile in one thread per CPU"
    );
}

/// The image's own `sitecustomize` (Debian's Python has one) still runs in uv's builds: the
/// hook runs it after itself.
#[test]
fn the_images_own_sitecustomize_still_runs_in_the_build() {
    let setup = "import os\nfrom setuptools import setup\n\
                 open('site_seen.py', 'w').write(f\"seen = {os.environ.get('IMAGE_SITE')!r}\\n\")\n\
                 setup(py_modules=['site_seen'])\n";
    let spec = "# syntax=stagefile:dev\n\
                [stage.base]\nfrom = \"python:3.11-slim\"\n\
                run = [\"echo \\\"import os; os.environ['IMAGE_SITE'] = 'ran'\\\" > /usr/local/lib/python3.11/sitecustomize.py\"]\n\n\
                [stage.app]\nfrom = \"base\"\npython = \"3.11\"\ncmd = [\"python\"]\n";
    let dir = Scratch::with_files(
        "image-sitecustomize",
        &[
            ("Stagefile.toml", spec),
            (
                "pyproject.toml",
                &PYPROJECT.replace("fourparts", "siteseen"),
            ),
            ("setup.py", setup),
        ],
    );
    let image = build(&dir.path, "stagefile-e2e/image-sitecustomize", &[])
        .expect_ok()
        .tag;
    let out = run(
        &image,
        &[
            "python",
            "-I",
            "-c",
            "import site_seen; print(site_seen.seen)",
        ],
    );
    assert_eq!(
        out.trim(),
        "ran",
        "the build backend saw the image's sitecustomize"
    );
}
