#!/usr/bin/python3
"""Load and soak (issue 15): two allocation-server processes on one PostgreSQL
server, 8 clients mixing every write across 50 skus for --duration, with the
invariants checked every 5,000 requests and at the end, and each server's RSS
held within ±10% of its value after the warm-up.

    soak.py --duration 2m [--server PATH] [--cli PATH]

ctest (label `soak`) passes ALLOCATION_SERVER, ALLOCATION_CLI, PG_SERVER_SCRIPT
and PG_BINDIR. The duration defaults to ALLOCATION_SOAK_SECONDS (else 120 s).
ALLOCATION_SOAK_PLANT=figure|lose-line makes the soak corrupt the database
itself mid-run (one batch's stored allocated figure, or one acknowledged line
deleted with its batch's figures mended) to show that the checks catch it.

The skus come in two halves. The first half ("volatile") also gets quantity
changes and cancelled batches: their lines may move (spec 1.1.7/8: deallocated
and allocated again, or out of stock), so a line missing there is accepted
only when a quantity change or a cancellation of its sku was still unanswered
when the line's allocation was sent, or came after. On the other half
("stable") batches only grow, so every acknowledged allocation must stay
exactly where it is until its client deallocates it (or its hold expires).

Whole orders (POST /allocate_order) and holds ("hold_seconds", POST /confirm),
issue 13, are used when the servers offer them (probed once at the start: a 404
for the route means not offered, and the soak says it skipped them).
"""

import argparse
import collections
import datetime
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
LISTENING = re.compile(r"listening on (http://[^ /]+/)")
SEP = "\x1f"  # psql field separator: never in an orderid, sku or reference of ours
HOLD_SLACK = 10.0  # seconds a server may take past a hold's end to expire it
# Hold ends are reckoned on the wall clock (time.time()), the clock the
# servers set and expire holds by: the monotonic clock drifts from it on some
# machines, and a hold would then seem to end early or late.
# The servers' clock counts whole seconds (a hold made at 100.9 s for 3 s ends
# at 103), so a hold may end up to this much before sent + hold_seconds.
CLOCK_RESOLUTION = 1.0
TIMEOUT = 60
# The data stay bounded, so that a server's memory can be held to ±10%: a sku
# gets no new batch while it has this many, and a client deallocates instead
# of allocating while it holds this many lines.
BATCHES_PER_SKU = 8
LINES_PER_CLIENT = 300


def parse_duration(text):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 120, 90s, 2m, 30m, 1h)")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


class Violations:
    """Every broken promise, printed as it is found."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, what, detail):
        with self.lock:
            self.items.append((what, detail))
            if len(self.items) <= 50:
                print(f"VIOLATION: {what}: {detail}", flush=True)

    def __len__(self):
        return len(self.items)


class Postgres:
    """A throwaway PostgreSQL server (tests/support/pg_server.sh)."""

    def __init__(self, script, directory, psql):
        self.script, self.dir, self.psql = script, directory, psql
        out = subprocess.run(["sh", script, "start", directory], check=True,
                             capture_output=True, text=True)
        self.conninfo = out.stdout.strip().splitlines()[-1]

    def rows(self, statement, **params):
        """The rows of statement; params are psql variables (:'name' quotes
        one as a literal), so no value is spliced into the SQL text."""
        args = [self.psql, self.conninfo, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-At", "-F", SEP]
        for name, value in params.items():
            args += ["-v", f"{name}={value}"]
        out = subprocess.run(args + ["-f", "-"], input=statement + ";\n", check=True,
                             capture_output=True, text=True)
        return [line.split(SEP) for line in out.stdout.splitlines() if line]

    def stop(self):
        subprocess.run(["sh", self.script, "stop", self.dir], check=False)


class Server:
    """One allocation-server process on the soak's database."""

    def __init__(self, binary, conninfo, log_path):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--db", conninfo,
                                      "--quiet"], stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 30
        self.url = None
        while self.url is None and time.monotonic() < deadline and self.proc.poll() is None:
            m = LISTENING.search(self.log_text())
            self.url = m.group(1).rstrip("/") if m else None
            time.sleep(0.02)
        if not self.url:
            raise RuntimeError(f"allocation-server did not start:\n{self.log_text()}")

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self):
        """SIGTERM; the exit status (0 expected), or None if it had to be killed."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        self.log.close()
        return self.proc.returncode


class Line:
    """One order line the soak asked for, and what it knows of its fate."""

    __slots__ = ("orderid", "sku", "qty", "sent", "acked", "state", "batchref", "seen",
                 "hold_lo", "hold_hi", "owner")

    def __init__(self, orderid, sku, qty, owner):
        self.orderid, self.sku, self.qty, self.owner = orderid, sku, qty, owner
        self.sent = time.monotonic()
        self.acked = None
        # pending → allocated | out_of_stock | refused | unknown; allocated → deallocated,
        # or gone (moved out of stock, or its hold ended), or unknown (a 404 to its
        # deallocation after it may have moved, a confirmation that came too late)
        self.state = "pending"
        self.batchref = None  # the batch it was last seen on,
        self.seen = None  # at a moment no later than this
        self.hold_lo = self.hold_hi = None  # earliest / latest end of a hold (wall clock)


class Batch:
    __slots__ = ("ref", "sku", "purchased", "alive", "lock")

    def __init__(self, ref, sku, purchased):
        self.ref, self.sku, self.purchased = ref, sku, purchased
        self.alive = True
        self.lock = threading.Lock()  # stable batches: one quantity change at a time


class Ledger:
    """Everything acknowledged, shared by the clients and the checker."""

    def __init__(self, skus, volatile):
        self.lock = threading.Lock()
        self.lines = {}  # (orderid, sku) → Line
        self.batches = {True: {}, False: {}}  # volatile? → ref → Batch not cancelled
        self.live = collections.Counter()  # sku → batches not cancelled
        self.skus = skus
        self.volatile = volatile  # set of skus whose lines may move
        # Changes and cancels of volatile batches, by sku and by batch: how many
        # are unanswered, and when the latest was answered.
        self.disturbing = collections.Counter()
        self.last_disturbed = {}

    def add_line(self, line):
        with self.lock:
            self.lines[(line.orderid, line.sku)] = line

    def add_batch(self, batch):
        with self.lock:
            self.batches[batch.sku in self.volatile][batch.ref] = batch
            self.live[batch.sku] += 1

    def cancelled(self, batch):
        with self.lock:
            if batch.alive:
                batch.alive = False
                self.live[batch.sku] -= 1
                del self.batches[batch.sku in self.volatile][batch.ref]

    def full(self, sku):
        with self.lock:
            return self.live[sku] >= BATCHES_PER_SKU

    def pick_batch(self, rng, volatile):
        with self.lock:
            batches = list(self.batches[volatile].values())
        return rng.choice(batches) if batches else None

    def disturb_begin(self, batch):
        with self.lock:
            self.disturbing[batch.sku] += 1
            self.disturbing[batch.ref] += 1

    def disturb_end(self, batch):
        with self.lock:
            now = time.monotonic()
            for key in (batch.sku, batch.ref):
                self.disturbing[key] -= 1
                self.last_disturbed[key] = now

    def _disturbed_since(self, key, since):
        with self.lock:
            return self.disturbing[key] > 0 or self.last_disturbed.get(key, -1) >= since

    def may_have_moved(self, line, wall=None):
        """A line may have left the batch it was last seen on without its
        client's doing only when that batch's quantity was changed or the batch
        cancelled after it was seen there (rules 1.1.7/8; a change answered
        before the sighting was already reflected in it), or its hold may have
        ended (wall: the wall clock's time, now by default)."""
        wall = time.time() if wall is None else wall
        if line.hold_lo is not None and wall >= line.hold_lo:
            return True
        if line.batchref is None:  # never seen on a batch: any change of its sku
            return self._disturbed_since(line.sku, line.sent)
        return self._disturbed_since(line.batchref, line.seen)


class Gate:
    """Clients stop between operations while the invariants are checked."""

    def __init__(self, clients, check_every):
        self.cond = threading.Condition()
        self.clients = clients
        self.check_every = check_every
        self.requests = 0
        self.next_check = check_every
        self.paused = False
        self.waiting = 0
        self.stopping = False

    def count(self):
        with self.cond:
            self.requests += 1
            if self.requests >= self.next_check and not self.paused:
                self.paused = True
                self.next_check += self.check_every
                self.cond.notify_all()

    def between_operations(self):
        with self.cond:
            if not self.paused:
                return
            self.waiting += 1
            self.cond.notify_all()
            while self.paused:
                self.cond.wait()
            self.waiting -= 1

    def client_left(self):
        with self.cond:
            self.clients -= 1
            self.cond.notify_all()

    def wait_for_pause(self, timeout):
        """True once every client waits at the gate (a check is due)."""
        with self.cond:
            self.cond.wait_for(lambda: self.stopping or (
                self.paused and self.waiting >= self.clients), timeout)
            return self.paused and self.waiting >= self.clients and not self.stopping

    def resume(self):
        with self.cond:
            self.paused = False
            self.cond.notify_all()

    def stop(self):
        with self.cond:
            self.stopping = True
            self.paused = False
            self.cond.notify_all()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_kind = collections.Counter()  # (kind, status) → count
        self.outcomes = collections.Counter()

    def note(self, kind, status):
        with self.lock:
            self.by_kind[(kind, status)] += 1

    def outcome(self, what):
        with self.lock:
            self.outcomes[what] += 1


class Client(threading.Thread):
    """One of the 8 clients: a random mix of operations on random servers."""

    def __init__(self, n, soak):
        super().__init__(daemon=True, name=f"client-{n}")
        self.n, self.soak = n, soak
        self.rng = random.Random(soak.seed * 1000 + n)
        self.sessions = [requests.Session() for _ in soak.servers]
        self.mine = []  # my lines that were allocated (candidates to deallocate/confirm)
        self.serial = 0
        self.error = None

    # --- HTTP -----------------------------------------------------------
    def call(self, kind, method, path, body=None):
        """(status, response) from a random server; status is a string when no answer came."""
        s = self.rng.randrange(len(self.soak.servers))
        url = self.soak.servers[s].url + path
        try:
            if method == "GET":
                r = self.sessions[s].get(url, timeout=TIMEOUT)
            else:
                r = self.sessions[s].post(url, json=body, timeout=TIMEOUT)
            status = r.status_code
        except requests.RequestException as e:
            r, status = None, "no answer"
            self.soak.violations.add("request without an answer", f"{method} {path}: {e}")
        self.soak.stats.note(kind, status)
        self.soak.gate.count()
        return status, r

    def unexpected(self, kind, status, r, what=""):
        text = r.text[:200] if r is not None else ""
        self.soak.violations.add("unexpected status", f"{kind} {what} → {status} {text}")

    def next_id(self, prefix):
        self.serial += 1
        return f"{prefix}-{self.soak.run_id}-{self.n}-{self.serial}"

    # --- operations -----------------------------------------------------
    def hold_seconds(self):
        if self.soak.holds and self.rng.random() < 0.25:
            return self.rng.randint(3, 20)
        return None

    def allocate(self):
        soak, ledger = self.soak, self.soak.ledger
        if len(self.mine) >= LINES_PER_CLIENT:
            return self.deallocate()
        line = Line(self.next_id("o"), self.rng.choice(ledger.skus), self.rng.randint(1, 5),
                    self.n)
        body = {"orderid": line.orderid, "sku": line.sku, "qty": line.qty}
        hold = self.hold_seconds()
        if hold:
            body["hold_seconds"] = hold
            line.hold_lo = time.time() + hold - CLOCK_RESOLUTION
        ledger.add_line(line)
        status, r = self.call("allocate" if not hold else "allocate_held", "POST", "/allocate",
                              body)
        line.acked = time.monotonic()
        if hold:
            line.hold_hi = time.time() + hold + HOLD_SLACK
        if status == 409:  # a conflict that outlived the retries: nothing happened
            line.state = "refused"
            return
        if status != 202:
            line.state = "unknown"
            return self.unexpected("allocate", status, r, line.orderid)
        # 202 either way: the read model says whether it found stock
        seen = time.monotonic()
        status, r = self.call("get_allocations", "GET", f"/allocations/{line.orderid}")
        if status == 200:
            rows = [a for a in r.json() if a.get("sku") == line.sku]
            if rows:
                line.batchref, line.seen = rows[0]["batchref"], seen
                line.state = "allocated"
                self.mine.append(line)
                soak.stats.outcome("allocated")
                return
        elif status != 404:
            line.state = "unknown"
            return self.unexpected("get_allocations", status, r, line.orderid)
        if ledger.may_have_moved(line):
            line.state = "unknown"  # it may have been moved out between the two requests
        else:
            line.state = "out_of_stock"
        soak.stats.outcome("out_of_stock")

    def allocate_order(self):
        soak, ledger = self.soak, self.soak.ledger
        if len(self.mine) >= LINES_PER_CLIENT:
            return self.deallocate()
        orderid = self.next_id("order")
        skus = self.rng.sample(ledger.skus, self.rng.randint(2, 4))
        lines = [Line(orderid, sku, self.rng.randint(1, 3), self.n) for sku in skus]
        body = {"orderid": orderid, "lines": [{"sku": ln.sku, "qty": ln.qty} for ln in lines]}
        hold = self.hold_seconds()
        if hold:
            body["hold_seconds"] = hold
        sent_wall = time.time()
        for ln in lines:
            ln.hold_lo = sent_wall + hold - CLOCK_RESOLUTION if hold else None
            ledger.add_line(ln)
        status, r = self.call("allocate_order", "POST", "/allocate_order", body)
        now, acked_wall = time.monotonic(), time.time()
        for ln in lines:
            ln.acked = now
            ln.hold_hi = acked_wall + hold + HOLD_SLACK if hold else None
        if status == 202:
            placed = {a["sku"]: a["batchref"] for a in r.json().get("allocations", [])}
            if set(placed) != set(skus):
                soak.violations.add("partial order", f"{orderid}: asked {skus}, got {placed}")
            for ln in lines:
                ln.batchref, ln.seen = placed.get(ln.sku), ln.sent
                ln.state = "allocated" if ln.batchref else "unknown"
                if ln.batchref:
                    self.mine.append(ln)
            soak.stats.outcome("order allocated")
        elif status == 409:
            short = (r.json() or {}).get("out_of_stock") if r is not None else None
            for ln in lines:
                ln.state = "refused"  # all or nothing: none of its lines is stored
            soak.stats.outcome("order out of stock" if short else "order conflict")
        else:
            for ln in lines:
                ln.state = "unknown"
            self.unexpected("allocate_order", status, r, orderid)

    def deallocate(self):
        soak, ledger = self.soak, self.soak.ledger
        if not self.mine:
            return self.allocate()
        line = self.mine.pop(self.rng.randrange(len(self.mine)))
        status, r = self.call("deallocate", "POST", "/deallocate",
                              {"orderid": line.orderid, "sku": line.sku})
        if status == 200:
            line.state = "deallocated"
        elif status == 404 and ledger.may_have_moved(line):
            line.state = "unknown"  # moved out of stock, or its hold ended
        elif status == 404:
            line.state = "unknown"
            soak.violations.add("acknowledged allocation missing",
                                f"{line.orderid}/{line.sku} (deallocate answered 404: "
                                f"{r.text[:100]})")
        else:
            line.state = "unknown"
            self.unexpected("deallocate", status, r, line.orderid)

    def add_batch(self):
        ledger = self.soak.ledger
        sku = self.rng.choice(ledger.skus)
        if ledger.full(sku):
            return self.change_quantity()
        ref, qty = self.next_id("b"), self.rng.randint(5, 40)
        eta = None
        if self.rng.random() < 0.5:
            eta = (datetime.date(2027, 1, 1)
                   + datetime.timedelta(days=self.rng.randrange(60))).isoformat()
        status, r = self.call("add_batch", "POST", "/add_batch",
                              {"ref": ref, "sku": sku, "qty": qty, "eta": eta})
        if status == 201:
            ledger.add_batch(Batch(ref, sku, qty))
        else:
            self.unexpected("add_batch", status, r, ref)

    def change_quantity(self):
        ledger = self.soak.ledger
        volatile = self.rng.random() < 0.7
        batch = ledger.pick_batch(self.rng, volatile)
        if batch is None:
            return self.add_batch()
        if not volatile:  # stable: only ever more, one change at a time
            with batch.lock:
                qty = batch.purchased + self.rng.randint(1, 20)
                status, r = self.call("change_batch_quantity", "POST", "/change_batch_quantity",
                                      {"ref": batch.ref, "qty": qty})
                batch.purchased = max(batch.purchased, qty)  # also if the outcome is unknown
            if status != 200:
                self.unexpected("change_batch_quantity", status, r, batch.ref)
            return
        qty = self.rng.randint(0, batch.purchased * 2)
        ledger.disturb_begin(batch)
        try:
            status, r = self.call("change_batch_quantity", "POST", "/change_batch_quantity",
                                  {"ref": batch.ref, "qty": qty})
        finally:
            ledger.disturb_end(batch)
        if status == 200:
            batch.purchased = qty
        elif not (status == 400 and "Invalid batch reference" in r.text):  # cancelled meanwhile
            self.unexpected("change_batch_quantity", status, r, batch.ref)

    def cancel_batch(self):
        ledger = self.soak.ledger
        batch = ledger.pick_batch(self.rng, True)
        if batch is None:
            return self.add_batch()
        ledger.disturb_begin(batch)
        try:
            status, r = self.call("cancel_batch", "POST", "/cancel_batch", {"ref": batch.ref})
        finally:
            ledger.disturb_end(batch)
        if status == 200:
            ledger.cancelled(batch)
        elif status == 400 and "Invalid batch reference" in r.text:
            ledger.cancelled(batch)  # another client cancelled it first
        else:
            self.unexpected("cancel_batch", status, r, batch.ref)

    def confirm(self):
        now = time.time()
        held = [ln for ln in self.mine if ln.hold_lo is not None and ln.hold_lo - now > 1]
        if not held:
            return self.allocate()
        orderid = self.rng.choice(held).orderid
        status, r = self.call("confirm", "POST", "/confirm", {"orderid": orderid})
        done = time.time()
        ok = isinstance(status, int) and 200 <= status < 300
        mine = [ln for ln in self.mine if ln.orderid == orderid and ln.hold_lo is not None]
        if status == 404 and all(self.soak.ledger.may_have_moved(ln) for ln in mine):
            ok = True  # nothing left to confirm: its lines expired or moved out meanwhile
        for ln in mine:
            if ok and status != 404:
                if done < ln.hold_lo:
                    ln.hold_lo = ln.hold_hi = None  # permanent now
                else:
                    ln.state = "unknown"  # it may have expired before the confirmation
            else:
                ln.state = "unknown"
        if not ok:
            self.unexpected("confirm", status, r, orderid)

    def run(self):
        soak = self.soak
        ops = [(self.allocate, 40), (self.deallocate, 14), (self.add_batch, 9),
               (self.change_quantity, 10), (self.cancel_batch, 4)]
        if soak.orders:
            ops.append((self.allocate_order, 10))
        if soak.holds:
            ops.append((self.confirm, 5))
        actions, weights = zip(*ops)
        try:
            while time.monotonic() < soak.deadline and not soak.gate.stopping:
                soak.gate.between_operations()
                if self.serial % 50 == 0:  # forget the lines that are gone
                    self.mine = [ln for ln in self.mine if ln.state == "allocated"]
                self.rng.choices(actions, weights)[0]()
        except Exception as e:  # a bug of the soak itself, or a reply it cannot read
            self.error = e
            soak.violations.add("client stopped", f"{self.name}: {e!r}")
        finally:
            soak.gate.client_left()


class Soak:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed
        self.run_id = uuid.uuid4().hex[:6]
        self.violations = Violations()
        self.stats = Stats()
        self.checks = 0
        self.planted = None
        self.rss = []  # per server: [(elapsed, kib)]
        skus = [f"SOAK-{'V' if i < args.skus // 2 else 'S'}{i:02d}" for i in range(args.skus)]
        self.ledger = Ledger(skus, {s for s in skus if "-V" in s})
        self.orders = self.holds = False

    # --- setup ------------------------------------------------------------
    def probe(self, path, body):
        """None when the server and its store offer this route, else why not: an
        empty body is a 400 where the route exists (404 where not), and a real
        command on nothing of ours a 501 when the store cannot keep it."""
        r = requests.post(self.servers[0].url + path, json={}, timeout=TIMEOUT)
        if r.status_code == 404:
            return "the server answers 404"
        r = requests.post(self.servers[0].url + path, json=body, timeout=TIMEOUT)
        if r.status_code == 501:
            return f"the server answers 501: {r.text.strip()}"
        return None

    def seed_batches(self):
        session = requests.Session()
        for i, sku in enumerate(self.ledger.skus):
            for k, eta in enumerate((None, "2027-01-01")):
                ref = f"b-{self.run_id}-seed-{i}-{k}"
                r = session.post(self.servers[i % 2].url + "/add_batch", timeout=TIMEOUT,
                                 json={"ref": ref, "sku": sku, "qty": 30, "eta": eta})
                if r.status_code != 201:
                    raise RuntimeError(f"add_batch {ref}: {r.status_code} {r.text}")
                self.ledger.add_batch(Batch(ref, sku, 30))

    # --- invariants -------------------------------------------------------
    def batch_figures(self):
        """(sku, purchased, sum of line qty, line count) of every batch, from SQL."""
        return {ref: (sku, int(purchased), int(line_sum), int(line_count))
                for ref, sku, purchased, line_sum, line_count in self.pg.rows(
                    "SELECT b.ref, b.sku, b.purchased, coalesce(sum(a.qty), 0), count(a.orderid)"
                    " FROM batches b LEFT JOIN allocations a ON a.batchref = b.ref"
                    " GROUP BY b.ref")}

    def order_lines(self, orderid):
        """(sku, batchref) of orderid's stored lines, read now (a hold may have
        ended since the check's first read)."""
        return {(sku, batchref) for sku, batchref in self.pg.rows(
            "SELECT sku, batchref FROM allocations WHERE orderid = :'o'", o=orderid)}

    def dashboard(self, session, server):
        """(figures by batch ref, last reply) of every page of server's GET /batches."""
        v, seen, after = self.violations, {}, None
        while True:
            url = server.url + "/batches?limit=1000" + (f"&after={after}" if after else "")
            r = session.get(url, timeout=TIMEOUT)
            self.stats.note("get_batches", r.status_code)
            if r.status_code != 200:
                v.add("dashboard failed", f"{url}: {r.status_code} {r.text[:200]}")
                return seen, r
            page = r.json()
            for b in page["batches"]:
                seen[b["ref"]] = (b["sku"], b["purchased"], b["allocated"], b["lines"])
                if b["available"] != b["purchased"] - b["allocated"]:
                    v.add("dashboard arithmetic", str(b))
            after = page["next"]
            if not after:
                return seen, r

    def check(self, final=False):
        self.checks += 1
        v, pg, ledger = self.violations, self.pg, self.ledger
        before = len(v)
        # Nothing oversold; the stored figures equal the lines; lines on their sku's batches.
        figures = {}
        for ref, sku, purchased, allocated, count, line_sum, line_count, same_sku in pg.rows(
                "SELECT b.ref, b.sku, b.purchased, b.allocated, b.line_count,"
                " coalesce(sum(a.qty), 0), count(a.orderid), coalesce(bool_and(a.sku = b.sku), true)"
                " FROM batches b LEFT JOIN allocations a ON a.batchref = b.ref GROUP BY b.ref"):
            purchased, allocated, count = int(purchased), int(allocated), int(count)
            line_sum, line_count = int(line_sum), int(line_count)
            figures[ref] = (sku, purchased, line_sum, line_count)
            if allocated > purchased or line_sum > purchased:
                v.add("oversold", f"batch {ref}: purchased {purchased}, allocated {allocated}"
                      f" (lines: {line_sum})")
            if allocated != line_sum or count != line_count:
                v.add("stored figures differ from the lines",
                      f"batch {ref}: stored allocated {allocated}, {count} lines; the lines say"
                      f" {line_sum}, {line_count}")
            if same_sku != "t":
                v.add("line on another sku's batch", f"batch {ref} ({sku})")
        stored = {}
        for orderid, sku, batchref, qty in pg.rows(
                "SELECT orderid, sku, batchref, qty FROM allocations"):
            stored[(orderid, sku)] = (batchref, int(qty))
            if batchref not in figures:
                v.add("line on no batch", f"{orderid}/{sku} on {batchref}")
        # The read model equals the allocations: the view in SQL, and the
        # servers' own read paths (dashboard, /allocations/<id>) over HTTP.
        view_diff = pg.rows(
            "SELECT count(*) FROM ((SELECT orderid, sku, batchref, qty FROM allocations EXCEPT"
            " SELECT orderid, sku, batchref, qty FROM allocations_view) UNION ALL"
            " (SELECT orderid, sku, batchref, qty FROM allocations_view EXCEPT"
            " SELECT orderid, sku, batchref, qty FROM allocations)) d")[0][0]
        if view_diff != "0":
            v.add("read model differs from the allocations", f"{view_diff} rows")
        session = requests.Session()
        for server in self.servers:
            seen, r = self.dashboard(session, server)
            if r.status_code == 200 and seen != figures:
                # The servers expire holds on their own while the clients
                # wait: a batch whose hold ended between the SQL read and the
                # dashboard's is compared with both read again, a few times.
                later = figures
                for attempt in range(4):
                    diff = [ref for ref in set(seen) | set(later)
                            if seen.get(ref) != later.get(ref)]
                    if not diff or attempt == 3:
                        break
                    time.sleep(0.2)
                    later = self.batch_figures()
                    seen, r = self.dashboard(session, server)
            else:
                diff = []
            if diff:
                v.add("dashboard differs from the lines",
                      f"{server.url}: {len(diff)} batches, e.g. {diff[0]}: dashboard "
                      f"{seen.get(diff[0])}, lines {later.get(diff[0])}")
        by_order = collections.defaultdict(set)
        for (orderid, sku), (batchref, _) in stored.items():
            by_order[orderid].add((sku, batchref))
        rng = random.Random(self.checks)
        for orderid in rng.sample(sorted(by_order), min(100, len(by_order))):
            server = self.servers[rng.randrange(len(self.servers))]
            r = session.get(f"{server.url}/allocations/{orderid}", timeout=TIMEOUT)
            self.stats.note("get_allocations", r.status_code)
            got = {(a["sku"], a["batchref"]) for a in r.json()} if r.status_code == 200 else set()
            if got != by_order[orderid] and got != self.order_lines(orderid):
                v.add("GET /allocations differs from the lines",
                      f"{orderid}: {sorted(got)} vs {sorted(by_order[orderid])}")
        # Every acknowledged allocation is still there, unless deallocated or moved.
        now, wall = time.monotonic(), time.time()
        with ledger.lock:
            lines = list(ledger.lines.values())
        asked = set()
        present = excused = 0
        for ln in lines:
            key = (ln.orderid, ln.sku)
            asked.add(key)
            row = stored.get(key)
            if ln.state not in ("allocated", "out_of_stock"):
                if ln.state in ("deallocated", "refused", "gone") and row is not None:
                    v.add(f"{ln.state} line stored", f"{ln.orderid}/{ln.sku} on {row[0]}")
                continue
            moved = ledger.may_have_moved(ln, wall)
            if ln.state == "out_of_stock" and row is not None and moved:
                ln.state = "allocated"  # it was allocated, then moved before the client looked
            if ln.state == "allocated":
                present += row is not None
                if row is None and moved:  # out of stock after a move, or its hold ended:
                    ln.state = "gone"  # gone for good (no backorders here)
                    excused += 1
                elif row is None:
                    v.add("acknowledged allocation missing",
                          f"{ln.orderid}/{ln.sku} x{ln.qty} (was on {ln.batchref})")
                elif row[1] != ln.qty:
                    v.add("line changed its quantity", f"{ln.orderid}/{ln.sku}: {ln.qty} → {row[1]}")
                elif not moved and row[0] != ln.batchref:
                    v.add("line moved without cause",
                          f"{ln.orderid}/{ln.sku}: {ln.batchref} → {row[0]}")
                elif ln.hold_hi is not None and wall > ln.hold_hi:
                    v.add("hold not expired", f"{ln.orderid}/{ln.sku} still stored "
                          f"{wall - ln.hold_hi + HOLD_SLACK:.0f} s after its end")
                if row is not None:  # seen there now (no change or cancel is in flight)
                    ln.batchref, ln.seen = row[0], now
            elif row is not None:  # out of stock, and not moved since
                v.add(f"{ln.state} line stored", f"{ln.orderid}/{ln.sku} on {row[0]}")
        strangers = [k for k in stored if k not in asked]
        if strangers:
            v.add("stored lines nobody asked for", f"{len(strangers)}, e.g. {strangers[0]}")
        print(f"check {self.checks}{' (final)' if final else ''} at {self.elapsed():.0f} s,"
              f" {self.gate.requests} requests: {len(figures)} batches, {len(stored)} lines,"
              f" {present} acknowledged lines found, {excused} more gone by a move or a hold's end,"
              f" {len(v) - before} violations", flush=True)

    # --- planted failures (ALLOCATION_SOAK_PLANT) --------------------------
    def plant(self):
        # Each also bumps the product's version, as any writer must: the servers
        # keep products cached by version and would not see the change otherwise.
        kind = self.args.plant
        bump = ("UPDATE products p SET version_number = p.version_number + 1 FROM c"
                " WHERE p.sku = c.sku RETURNING c.ref")
        if kind == "figure":
            ref = self.pg.rows("WITH c AS (UPDATE batches SET allocated = allocated + 1 WHERE ref ="
                               " (SELECT min(ref) FROM batches WHERE sku LIKE 'SOAK-S%')"
                               " RETURNING ref, sku) " + bump)[0][0]
            self.planted = f"batch {ref}: stored allocated figure raised by 1 (SQL)"
        elif kind == "lose-line":
            with self.ledger.lock:
                victims = [ln for ln in self.ledger.lines.values() if ln.state == "allocated"
                           and ln.sku not in self.ledger.volatile and ln.hold_lo is None]
            ln = victims[0]
            self.pg.rows(
                "WITH d AS (DELETE FROM allocations WHERE orderid = '%s' AND sku = '%s'"
                " RETURNING batchref, qty), c AS (UPDATE batches b SET allocated ="
                " b.allocated - d.qty, line_count = b.line_count - 1 FROM d"
                " WHERE b.ref = d.batchref RETURNING b.ref, b.sku) %s"
                % (ln.orderid, ln.sku, bump))  # our own ids: no quoting needed
            self.planted = f"{ln.orderid}/{ln.sku} deleted with its batch's figures mended (SQL)"
        print(f"PLANTED: {self.planted}", flush=True)

    # --- the run --------------------------------------------------------------
    def elapsed(self):
        return time.monotonic() - self.started

    def sample_rss(self):
        for i, server in enumerate(self.servers):
            try:
                self.rss[i].append((self.elapsed(), server.rss_kib()))
                continue
            except (OSError, RuntimeError):
                pass  # it has exited
            if not self.server_died[i]:
                self.server_died[i] = True
                self.violations.add("server died", f"{server.url} exit {server.proc.returncode}:"
                                    f"\n{server.log_text()[-2000:]}")

    def run(self):
        args = self.args
        tmp = tempfile.mkdtemp(prefix="la-soak.")
        self.pg = Postgres(args.pg_script, os.path.join(tmp, "pg"), args.psql)
        self.servers = []
        try:
            for i in range(2):  # one after the other: the first creates the schema
                self.servers.append(Server(args.server, self.pg.conninfo,
                                           os.path.join(tmp, f"server{i}.log")))
            self.rss = [[] for _ in self.servers]
            self.server_died = [False] * len(self.servers)
            orders_not = self.probe("/allocate_order", {"orderid": f"probe-{self.run_id}",
                                    "lines": [{"sku": f"PROBE-{self.run_id}", "qty": 1}]})
            holds_not = self.probe("/confirm", {"orderid": f"probe-{self.run_id}"})
            self.orders, self.holds = orders_not is None, holds_not is None
            print(f"soak: {args.duration:.0f} s, {args.clients} clients, {args.skus} skus, two "
                  f"servers ({', '.join(s.url for s in self.servers)}), seed {self.seed}",
                  flush=True)
            print("whole orders (POST /allocate_order): "
                  + ("used" if self.orders else f"skipped, {orders_not}"), flush=True)
            print("holds (hold_seconds, POST /confirm): "
                  + ("used" if self.holds else f"skipped, {holds_not}"), flush=True)
            self.seed_batches()
            self.load(tmp)
        finally:
            exits = [s.stop() for s in self.servers]
            for s, code in zip(self.servers, exits):
                if code != 0:
                    self.violations.add("server did not stop cleanly",
                                        f"exit {code}:\n{s.log_text()[-2000:]}")
            self.allocation_check()
            self.pg.stop()
            if not self.violations:
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                print(f"server logs kept in {tmp}")

    def load(self, tmp):
        args = self.args
        self.started = time.monotonic()
        self.deadline = self.started + args.duration
        self.gate = Gate(args.clients, args.check_every)
        clients = [Client(n, self) for n in range(args.clients)]
        warmup = max(20.0, 0.2 * args.duration)
        plant_at = 0.4 * args.duration if args.plant else None
        for c in clients:
            c.start()
        next_sample = 0.0
        while any(c.is_alive() for c in clients):
            if self.elapsed() >= next_sample:
                self.sample_rss()
                next_sample += 1.0
            if self.gate.wait_for_pause(0.2):
                if plant_at is not None and self.elapsed() >= plant_at:
                    self.plant()
                    plant_at = None
                self.check()
                self.gate.resume()
        self.sample_rss()
        for c in clients:
            c.join()
        load_seconds = self.elapsed()
        if plant_at is not None:  # too few requests for a check before the plant
            self.plant()
        self.check(final=True)
        self.report(load_seconds, warmup)

    def allocation_check(self):
        cli = self.args.cli
        if not cli:
            print("allocation check: skipped (no CLI given: --cli or ALLOCATION_CLI)")
            return
        usage = subprocess.run([cli, "--help"], capture_output=True, text=True)
        if not re.search(r"^\s+check\b", usage.stdout + usage.stderr, re.M):
            print("allocation check: skipped, this allocation CLI has no check command")
            return
        r = subprocess.run([cli, "--db", self.pg.conninfo, "check"], capture_output=True,
                           text=True)
        print(f"allocation check: exit {r.returncode}")
        if r.returncode != 0:
            self.violations.add("allocation check failed", (r.stdout + r.stderr)[-2000:])

    def report(self, load_seconds, warmup):
        total = self.gate.requests
        print(f"\n== soak figures ({load_seconds:.0f} s of load, load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}) ==")
        kinds = collections.defaultdict(collections.Counter)
        for (kind, status), n in self.stats.by_kind.items():
            kinds[kind][status] += n
        for kind in sorted(kinds):
            parts = ", ".join(f"{s}: {n}" for s, n in sorted(kinds[kind].items(), key=str))
            print(f"  {kind:22} {sum(kinds[kind].values()):7}  ({parts})")
        print(f"  requests by the clients: {total} ({total / load_seconds:.0f} req/s)")
        print(f"  outcomes: {dict(self.stats.outcomes)}")
        print(f"  invariant checks: {self.checks}")
        for i, samples in enumerate(self.rss):
            after = [kib for t, kib in samples if t >= warmup]
            if len(after) < 10 or load_seconds < warmup + 10:
                print(f"  server {i} RSS: {samples[-1][1] / 1024:.1f} MiB at the end; the ±10%"
                      f" check needs a run longer than the warm-up ({warmup:.0f} s) + 10 s:"
                      " skipped")
                continue
            base, low, high, end = after[0], min(after), max(after), after[-1]
            print(f"  server {i} RSS: {samples[0][1] / 1024:.1f} MiB at start, {base / 1024:.1f}"
                  f" MiB after the warm-up ({warmup:.0f} s), {low / 1024:.1f}–{high / 1024:.1f}"
                  f" MiB after it, {end / 1024:.1f} MiB at the end")
            if high > base * 1.10 or low < base * 0.90:
                self.violations.add("RSS outside ±10% of its value after the warm-up",
                                    f"server {i}: {base} KiB, then {low}–{high} KiB")
        if self.planted:
            print(f"  planted: {self.planted}")


def main():
    env = os.environ
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=parse_duration,
                   default=parse_duration(env.get("ALLOCATION_SOAK_SECONDS", "120")),
                   help="how long the clients run: seconds or e.g. 90s, 2m, 30m "
                        "[ALLOCATION_SOAK_SECONDS, default 120]")
    p.add_argument("--server", default=env.get("ALLOCATION_SERVER"),
                   help="the allocation-server binary [ALLOCATION_SERVER]")
    p.add_argument("--cli", default=env.get("ALLOCATION_CLI"),
                   help="the allocation CLI, for `allocation check` at the end [ALLOCATION_CLI]")
    p.add_argument("--pg-script", default=env.get("PG_SERVER_SCRIPT",
                   os.path.join(HERE, "..", "support", "pg_server.sh")))
    p.add_argument("--psql", default=env.get("LA_TEST_PSQL", "/usr/bin/psql"))
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--skus", type=int, default=50)
    p.add_argument("--check-every", type=int, default=5000, help="requests between checks")
    p.add_argument("--seed", type=int, default=int(env.get("ALLOCATION_SOAK_SEED", "1")))
    p.add_argument("--plant", choices=("figure", "lose-line"),
                   default=env.get("ALLOCATION_SOAK_PLANT") or None,
                   help="corrupt the database mid-run, to show the checks fail "
                        "[ALLOCATION_SOAK_PLANT]")
    args = p.parse_args()
    if not args.server:
        p.error("no allocation-server: give --server or set ALLOCATION_SERVER")
    soak = Soak(args)
    soak.run()
    if soak.violations:
        counts = collections.Counter(what for what, _ in soak.violations.items)
        print(f"\nSOAK FAILED: {len(soak.violations)} violations: "
              + ", ".join(f"{what} ×{n}" for what, n in counts.items()))
        return 1
    print("\nsoak passed: no violation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
