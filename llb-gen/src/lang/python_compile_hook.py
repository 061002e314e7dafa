# Stagefile: compiles the C sources of one setuptools extension on all the CPUs the build has.
#
# Python imports this file at start-up as `sitecustomize` in the steps where uv builds packages
# from source (PYTHONPATH names its directory). distutils' CCompiler.compile, which setuptools
# runs for each extension, compiles one source after the other; here the same compiler
# commands run in threads, one per CPU. Each object file is compiled alone and the link is
# unchanged, so the module is the same, byte for byte. A compiler class with a compile of its
# own (MSVC, numpy's) is left alone, and so is anything this cannot take apart.
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys


def _cpus():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _in_threads(one_by_one):
    """CCompiler.compile, with the sources that need compiling compiled in threads."""

    def compile(self, sources, output_dir=None, macros=None, include_dirs=None, debug=0,
                extra_preargs=None, extra_postargs=None, depends=None):
        args = (sources, output_dir, macros, include_dirs, debug, extra_preargs,
                extra_postargs, depends)
        parts = ("_setup_compile", "_get_cc_args", "_compile")
        if _cpus() < 2 or len(sources) < 2 or not all(hasattr(self, p) for p in parts):
            return one_by_one(self, *args)
        macros, objects, extra_postargs, pp_opts, build = self._setup_compile(
            output_dir, macros, include_dirs, sources, depends, extra_postargs)
        if not build:
            return objects
        cc_args = self._get_cc_args(pp_opts, debug, extra_preargs)

        def compile_one(obj):
            src, ext = build[obj]
            self._compile(obj, src, ext, cc_args, extra_postargs, pp_opts)

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(_cpus(), len(build))) as pool:
            list(pool.map(compile_one, [obj for obj in objects if obj in build]))
        return objects

    return compile


def _patch(module):
    compiler = getattr(module, "CCompiler", None)
    if compiler is not None and "_stagefile_threads" not in vars(compiler):
        compiler.compile = _in_threads(compiler.compile)
        compiler._stagefile_threads = True


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches a `ccompiler` module (distutils', setuptools' own copy) once it is loaded."""

    def find_spec(self, name, path, target=None):
        if name.rpartition(".")[2] != "ccompiler":
            return None
        later = sys.meta_path[sys.meta_path.index(self) + 1:]
        spec = next(filter(None, (f.find_spec(name, path, target) for f in later
                                  if hasattr(f, "find_spec"))), None)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            _patch(module)

        spec.loader.exec_module = exec_and_patch
        return spec


sys.meta_path.insert(0, _PatchOnImport())

# The sitecustomize this one hides (Debian's Python has one), as Python would have run it.
_here = os.path.dirname(os.path.abspath(__file__))
_next = importlib.machinery.PathFinder.find_spec(
    "sitecustomize", [p for p in sys.path if os.path.abspath(p or ".") != _here])
if _next is not None and _next.loader is not None:
    _next.loader.exec_module(importlib.util.module_from_spec(_next))
