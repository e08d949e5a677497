"""The binding itself: every exported function declared, exceptions, safe frees."""

import os
import shutil
import subprocess
import sys

import pytest

import allocation
from allocation import _lib, commands, errors, stores


def exported(path):
    out = subprocess.run(
        ["nm", "-D", "--defined-only", path], capture_output=True, text=True, check=True
    ).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if " T " in line}


@pytest.mark.parametrize("name", sorted(_lib.LIBRARIES))
def test_every_exported_function_is_declared(name):
    if not _lib.available(name):
        pytest.skip(f"lib{name} not built")
    if shutil.which("nm") is None:
        pytest.skip("nm not installed")
    path = _lib.load(name)._name
    symbols = {s for s in exported(path) if s.startswith("la_")}
    assert symbols, path
    assert symbols - set(_lib.LIBRARIES[name]) == set()
    assert set(_lib.LIBRARIES[name]) - symbols == set()


def test_functions_have_argtypes_and_restype():
    for name, (restype, argtypes) in _lib.CORE_API.items():
        fn = getattr(_lib.lib, name)
        assert fn.argtypes == argtypes and fn.restype is restype, name


def test_version():
    assert allocation.version_info()[0] == 1
    assert allocation.__version__.startswith("1.")


def test_one_exception_class_per_status_code():
    codes = {cls.code for cls in errors.BY_CODE.values()}
    assert codes == set(range(-9, 0))
    for code, cls in errors.BY_CODE.items():
        assert issubclass(cls, allocation.AllocationError)
        assert _lib.lib.la_strerror(code).startswith(b"LA_E")
    assert issubclass(allocation.InvalidSku, allocation.NotFound)


def test_exceptions_carry_the_library_message(bus):
    with pytest.raises(allocation.InvalidArgument) as info:
        bus.handle(commands.Allocate("o1", "LAMP", 0))
    assert info.value.code == _lib.LA_EINVAL
    assert "qty" in info.value.message
    with pytest.raises(allocation.InvalidArgument, match="sku"):
        bus.handle(commands.CreateBatch("b1", "x" * 256, 1))


def test_wrong_python_types_raise_type_errors(bus):
    with pytest.raises(TypeError):
        bus.handle("Allocate o1")
    with pytest.raises(Exception):
        bus.handle(commands.Allocate("o1", "LAMP", "ten"))


def test_double_close_is_safe():
    store = stores.memory()
    bus = allocation.MessageBus(store)
    bus.close()
    bus.close()
    store.close()
    store.close()
    assert bus.closed and store.closed


def test_closing_the_store_closes_its_buses_first():
    store = stores.memory()
    bus = allocation.bootstrap(store)
    store.close()
    assert bus.closed
    with pytest.raises(allocation.StateError):
        bus.handle(commands.CreateBatch("b1", "LAMP", 1))
    bus.close()


def test_bootstrap_owns_the_store_it_makes():
    bus = allocation.bootstrap()
    store = bus.store
    bus.close()
    assert store.closed


def test_bootstrap_leaves_a_given_store_open():
    with stores.memory() as store:
        with allocation.bootstrap(store) as bus:
            bus.handle(commands.CreateBatch("b1", "LAMP", 1))
        assert not store.closed
        assert store.adapter == "memory"
        # Two buses may share a memory store.
        with allocation.bootstrap(store) as a, allocation.bootstrap(store) as b:
            assert a.handle(commands.Allocate("o1", "LAMP", 1)) == "b1"
            assert b.handle(commands.Allocate("o2", "LAMP", 1)) is None


def test_handles_left_open_at_exit_do_not_crash(tmp_path):
    script = tmp_path / "leak.py"
    script.write_text(
        "import allocation\n"
        "from allocation import commands, events\n"
        "bus = allocation.bootstrap(notify=lambda d, m: None)\n"
        "bus.subscribe(events.Allocated, lambda e: None)\n"
        "bus.handle(commands.CreateBatch('b1', 'LAMP', 5))\n"
        "bus.handle(commands.Allocate('o1', 'LAMP', 1))\n"
        "p = allocation.Product('X', batches=[('b', 1, None)])\n"
        "cycle = [bus, p]\n"
        "cycle.append(cycle)\n"
        "print('ok')\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(allocation.__file__))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "ok\n", "")


def test_message_json_round_trip():
    text = allocation.messages.to_json(allocation.events.Allocated("o1", "S", 2, "b1"), id="x1")
    assert text.startswith('{"id":"x1"')
    assert '"batchref":"b1"' in text.replace(" ", "")
