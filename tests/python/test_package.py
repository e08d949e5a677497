"""The package as a package: documentation (help()), version, where the
libraries are looked for."""

import inspect
import os
import pydoc
import re
import subprocess
import sys

import pytest

import allocation
from allocation import _install, _lib

PACKAGE_DIR = os.path.dirname(allocation.__file__)
PUBLIC_MODULES = ["bus", "callbacks", "commands", "errors", "events", "messages", "model",
                  "redis", "smtp", "stores", "views"]


def public_objects():
    """(qualified name, object) of every public module, class, function,
    method and property defined in the package."""
    for module_name in PUBLIC_MODULES:
        module = getattr(allocation, module_name)
        yield module.__name__, module
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and (
                        inspect.isfunction(member) or isinstance(member, property)
                    ):
                        yield f"{module.__name__}.{name}.{attr}", member


def test_every_public_module_class_and_function_has_a_docstring():
    missing = [name for name, obj in public_objects() if not inspect.getdoc(obj)]
    assert missing == []


def test_help_reads_well():
    text = pydoc.render_doc(allocation, renderer=pydoc.plaintext)
    assert "the allocation service" in text
    for name in ["bootstrap", "MessageBus", "SmtpNotifications", "RedisConsumer", "search_dirs"]:
        assert name in text, name
    assert re.search(r"PACKAGE CONTENTS.*\bredis\b.*\bsmtp\b", text, re.S)
    for name in allocation.__all__:
        assert hasattr(allocation, name), name
    bus_help = pydoc.render_doc(allocation.MessageBus, renderer=pydoc.plaintext)
    assert "store: allocation.stores.Store" in bus_help  # the hints show in help()


def test_the_package_version_is_the_library_version():
    with open(os.path.join(PACKAGE_DIR, "..", "pyproject.toml")) as f:
        declared = re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)
    assert declared == allocation.__version__
    assert tuple(int(p) for p in declared.split(".")) == allocation.version_info()


def test_la_library_path_comes_first(monkeypatch, tmp_path):
    monkeypatch.setenv("LA_LIBRARY_PATH", f"{tmp_path}/a:{tmp_path}/b")
    monkeypatch.setattr(_install, "LIBDIR", "../../lib")
    dirs = _lib.search_dirs()
    assert dirs[:3] == [f"{tmp_path}/a", f"{tmp_path}/b",
                        os.path.normpath(os.path.join(PACKAGE_DIR, "../../lib"))]
    monkeypatch.setattr(_install, "LIBDIR", None)
    monkeypatch.delenv("LA_LIBRARY_PATH")
    assert _lib.search_dirs() == []  # the source tree: neither recorded nor in a prefix


def test_a_missing_library_says_where_it_was_looked_for(monkeypatch, tmp_path):
    monkeypatch.setenv("LA_LIBRARY_PATH", str(tmp_path))
    with pytest.raises(_lib.LibraryNotFound) as info:
        _lib.load("allocation-no-such-adapter")
    message = str(info.value)
    assert "liballocation-no-such-adapter.so.1 not found" in message
    assert str(tmp_path) in message and "LA_LIBRARY_PATH" in message
    assert not _lib.available("allocation-no-such-adapter")


def test_library_paths_name_the_loaded_files():
    paths = allocation.library_paths()
    assert os.path.basename(paths["allocation"]).startswith("liballocation.so.1")
    assert os.path.isfile(paths["allocation"])
    for name, path in paths.items():
        assert os.path.isabs(path), (name, path)


def test_python_m_allocation_lists_the_libraries():
    env = dict(os.environ, PYTHONPATH=os.path.dirname(PACKAGE_DIR))
    out = subprocess.run([sys.executable, "-m", "allocation"], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.startswith(f"allocation {allocation.__version__} (")
    assert f"liballocation: {allocation.library_paths()['allocation']}" in out
