"""The one module that touches durable_rules (2.0.28, its C Rete core).

`DurableSession` registers a compiled ruleset once, a durable ruleset per stage
(see `pmpath.inference.compiler`), and runs profiles through it under one lock
(the C core is not thread-safe). Stage by stage, it asserts the stage's fact
(the profile fact, with a flag for each fact the stages below concluded), runs
every rule that fires, and moves on once nothing more fires, so a negation only
ever reads complete facts. Two drivers share the same compiled rules:

- ``lean`` (default) calls the C engine (``durable_rules_engine``) directly:
  assert the fact, then loop start/complete over the agenda, reading each fired
  rule's name and asserting its conclusion from a prepared JSON template when a
  rule of the same stage reads it. Cost per fired rule: a few microseconds.
  Creating a durable state costs more than a whole inference (it clears
  per-node indexes for every join in the ruleset), so the lean driver keeps one
  state per stage and, after each profile, retracts everything it asserted, by
  id (every fact pmpath asserts carries its own), leaving the state empty; every
  ``RECYCLE`` runs, or after any error, the states are deleted and fresh ones
  started. Live states: one per stage.
- ``host`` goes through durable's Python ``Host`` with actions bound by
  ``get_action``: the stock, documented way (tens of microseconds per fired
  rule). Its background timer threads are disabled, and exceptions that
  durable swallows into ``state['exception']`` are raised as `EngineError`.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import threading

import durable_rules_engine as _dre
from durable import engine as _durable

from pmpath.errors import EngineError
from pmpath.inference.compiler import Compiled
from pmpath.inference.facts import PROFILE_HEAD, PROFILE_ID

BACKENDS = ("lean", "host")

# result codes of durable_rules_engine.assert_fact(s)
_OK, _NOT_HANDLED, _OBSERVED = 0, 1, 2

#: A rule every stage's ruleset gets so that a state can be *settled* before it is
#: deleted. durable_rules 2.0.28 leaves a new state's action context (two pointers)
#: unset until an action first starts on it, and deleting the state frees them: a
#: state on which no rule ever fired (a stage where nothing fired for a profile)
#: crashes the process when deleted, or not, depending on what the memory held
#: ("free(): invalid pointer"). Starting and completing one action sets them and
#: frees them again, so `_settle` runs this rule's action before every delete.
SETTLE = "__settle"
_SETTLE_RULE = {"all": [{"m": {"t": SETTLE}}]}
_SETTLE_FACT = '{"sid":"%s","t":"' + SETTLE + '"}'
#: what retracts a stage's profile fact: its sid and id are all durable reads
_PROFILE_RETRACTION = '{"sid":"%s","id":"' + PROFILE_ID + '"}'

_names = itertools.count(1)


class DurableSession:
    """A compiled ruleset registered in durable_rules, ready to run profiles."""

    def __init__(self, compiled: Compiled, name: str, backend: str = "lean"):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.backend = backend
        self.name = f"{name}-{next(_names)}"  # unique per process: one registration per engine
        self._stages = compiled.stages
        self._carries = [stage.carries for stage in compiled.stages]
        self._flags = compiled.flags
        self._asserts = compiled.asserts
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._use_sid(str(next(self._sids)))
        self._lean_runs = 0
        self._handles: list[int] = []
        names = [f"{self.name}.{i}" for i in range(len(self._stages))]
        try:
            if backend == "lean":
                for stage_name, stage in zip(names, self._stages, strict=True):
                    definition = json.dumps({**stage.definition, SETTLE: _SETTLE_RULE})
                    self._handles.append(_dre.create_ruleset(stage_name, definition))
            else:
                self._host = _QuietHost()
                carrying = {
                    rule_id for stage in self._stages if stage.carries for rule_id in stage.asserts
                }
                self._host.bind(self._asserts, carrying)
                rulesets = {}
                for stage_name, stage in zip(names, self._stages, strict=True):
                    # registration mutates the definition: a copy
                    definition = copy.deepcopy({**stage.definition, SETTLE: _SETTLE_RULE})
                    for rule_id, rule in definition.items():
                        rule["run"] = rule_id
                    rulesets[stage_name] = definition
                self._host.register_rulesets(rulesets)
                self._stage_names = names
        except Exception as exc:  # durable raises bare Exceptions with C error codes
            self.close()
            raise EngineError(f"durable_rules rejected the compiled ruleset: {exc}") from exc

    def run_encoded(self, facts: tuple[str, str]) -> list[str]:
        """Run one profile given as its two facts, each the JSON text that follows
        `pmpath.inference.facts.PROFILE_HEAD` (see `pmpath.inference.facts.FactEncoder`):
        the first stage's fact and the later stages' (the fields they read, flags to
        come); return the ids of the rules that fired."""
        with self._lock:
            if self.backend == "lean":
                return self._run_lean(facts)
            return self._run_host(facts)

    def _stage_fact(self, profile_fact: str, fired: list[str]) -> str:
        """The profile fact with a flag for every fact concluded so far that a later
        stage reads."""
        # once each: durable reads a key given twice as two properties (two matches)
        flags = dict.fromkeys(filter(None, map(self._flags.get, fired)))
        return profile_fact[:-1] + "".join(flags) + "}"

    def _message(self, stage: int, facts: tuple[str, str], head: str, fired: list[str]) -> str:
        """The one fact ``stage`` asserts, after ``head`` (`PROFILE_HEAD` with the state
        id): the first fact in stage 0, the later stages' fact with the flags of what
        fired so far above it."""
        if stage == 0:
            return head + facts[0]
        return self._stage_fact(head + facts[1], fired)

    def held_facts(self) -> list[list[dict]]:
        """The facts each stage's state holds now (lean driver): none between two
        profiles, when the driver has retracted everything it asserted."""
        with self._lock:
            sid = self._lean_sid
            held = []
            for handle in self._handles:
                try:
                    held.append(json.loads(_dre.get_facts(handle, sid)))
                except Exception:  # no state yet: nothing was asserted in it
                    held.append([])
            return held

    # -- lean driver ----------------------------------------------------------
    RECYCLE = 1000

    def _use_sid(self, sid: str) -> None:
        """Take ``sid`` as the lean driver's state id, with everything written for it
        once (formatting each fact and retraction per profile cost more than the
        Python around the C calls)."""
        self._lean_sid = sid
        #: rule id -> (the fact it asserts without its closing brace, what retracts
        #: that fact), for this sid: a fact of a stage that `Stage.carries` gets the
        #: stage's profile fields and flags before the brace
        self._lean_asserts = {
            rule_id: None
            if template is None
            else ((template % sid)[:-1], _retraction(template) % sid)
            for rule_id, template in self._asserts.items()
        }
        self._profile_retraction = _PROFILE_RETRACTION % sid
        self._profile_head = PROFILE_HEAD % sid

    def _run_lean(self, facts: tuple[str, str]) -> list[str]:
        fired: list[str] = []
        #: per stage, what retracts each fact asserted in it
        asserted: list[list[str]] = [[] for _ in self._handles]
        states: list[int | None] = [None] * len(self._handles)
        clean = False
        head = self._profile_head
        try:
            for i, handle in enumerate(self._handles):
                message = self._message(i, facts, head, fired)
                code, states[i] = _dre.assert_fact(handle, message)
                asserted[i].append(self._profile_retraction)
                if code == _OBSERVED:  # the profile before was not retracted
                    raise EngineError("a stage's state still held the profile before")
                body = message[len(head) : -1] if self._carries[i] else ""
                self._drain(handle, states[i], fired, asserted[i], body)
            clean = all(
                self._reset(handle, state, done)
                for handle, state, done in zip(self._handles, states, asserted, strict=True)
            )
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"durable_rules failed on a profile: {exc}") from exc
        finally:
            self._lean_runs += 1
            if not clean or self._lean_runs % self.RECYCLE == 0:
                self._new_states(states, busy=not clean)
        return fired

    def _drain(
        self,
        handle: int,
        state: int,
        fired: list[str],
        asserted: list[str],
        body: str = "",
    ) -> None:
        """Run every action the stage's fact woke, asserting each conclusion a rule of
        the stage reads (with ``body``, the stage's profile fields and flags, when the
        stage's facts carry them)."""
        started = _dre.start_action_for_state(handle, state)
        if started is None:
            return
        message = started[1]
        asserts = self._lean_asserts
        assert_fact, complete = _dre.assert_fact, _dre.complete_and_start_action
        add_fired, add_asserted = fired.append, asserted.append
        while message is not None:
            # the message is {"<rule id>": {...}}; rule ids never need escaping
            rule_id = message[2 : message.index('"', 2)]
            add_fired(rule_id)
            templates = asserts[rule_id]
            if templates is not None:
                # a fact already asserted (another rule concluded it) is not asserted
                # again: durable would only answer _OBSERVED
                retraction = templates[1]
                if (
                    retraction not in asserted
                    and assert_fact(handle, templates[0] + body + "}")[0] == _OK
                ):
                    add_asserted(retraction)
            message = complete(handle, state)

    def _reset(self, handle: int, state: int | None, asserted: list) -> bool:
        """Retract a stage's facts by id, newest first; True if the state is empty and
        quiet."""
        if state is None:
            return True
        _dre.retract_facts(handle, "[" + ",".join(reversed(asserted)) + "]")
        # a retraction that woke a rule is never expected: then start afresh
        return _dre.start_action_for_state(handle, state) is None

    def _new_states(self, states: list[int | None], busy: bool) -> None:
        """Delete the current states (each exists once a fact was asserted in it) and
        pick a new id."""
        sid = self._lean_sid
        self._use_sid(str(next(self._sids)))
        for handle, state in zip(self._handles, states, strict=True):
            if state is None:
                continue  # nothing was asserted: there is no state, and deleting one crashes
            with contextlib.suppress(Exception):
                if busy:  # finish any action in progress: deleting a busy state crashes
                    while _dre.complete_and_start_action(handle, state) is not None:
                        pass
                _settle(handle, sid)
                _dre.delete_state(handle, sid)

    # -- host driver ----------------------------------------------------------
    def _run_host(self, facts: tuple[str, str]) -> list[str]:
        host = self._host
        sid = str(next(self._sids))
        host.fired[sid] = fired = []
        try:
            for i, name in enumerate(self._stage_names):
                # durable's Host raises MessageNotHandledException for a fact no rule
                # matches (a stage where nothing fires for this profile)
                text = self._message(i, facts, PROFILE_HEAD % sid, fired)
                if self._carries[i]:  # what this stage's actions add to their facts
                    host.carried[sid] = {
                        k: v for k, v in json.loads(text).items() if k not in ("sid", "id", "t")
                    }
                with contextlib.suppress(_durable.MessageNotHandledException):
                    self._check(host.assert_fact(name, json.loads(text)))
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"durable_rules failed on a profile: {exc}") from exc
        finally:
            host.fired.pop(sid, None)
            host.carried.pop(sid, None)
            for name in self._stage_names:
                with contextlib.suppress(Exception):
                    host.assert_fact(name, json.loads(_SETTLE_FACT % sid))  # see SETTLE
                    host.delete_state(name, sid)
        return fired

    @staticmethod
    def _check(state) -> None:
        if isinstance(state, dict) and state.get("exception"):
            raise EngineError(f"a rule action failed inside durable_rules: {state['exception']}")

    def close(self) -> None:
        """Free the rulesets in the C core (the session is unusable afterwards)."""
        with self._lock:
            handles, self._handles = self._handles, []
            for handle in handles:
                _dre.delete_ruleset(handle)


def _retraction(template: str) -> str:
    """What retracts the fact ``template`` asserts: its sid and id (durable finds a
    fact to retract by its id; nothing else of it is read)."""
    return '{"sid":"%s","id":' + json.dumps(json.loads(template % "0")["id"]) + "}"


def _settle(handle: int, sid: str) -> None:
    """Run one action on ``sid``'s state, so that deleting it is safe (see `SETTLE`)."""
    _, state = _dre.assert_fact(handle, _SETTLE_FACT % sid)
    started = _dre.start_action_for_state(handle, state)
    while started is not None:
        started = _dre.complete_and_start_action(handle, state)


class _QuietHost(_durable.Host):
    """durable's Host without its background dispatch threads, actions by rule id."""

    def __init__(self) -> None:
        self.fired: dict[str, list[str]] = {}
        #: state id -> the profile fields and flags the facts of the current stage
        #: carry (see `Stage.carries`)
        self.carried: dict[str, dict] = {}
        self._actions: dict = {}
        super().__init__()

    def _run(self) -> None:  # the default starts timer threads that race the caller
        pass

    def bind(self, asserts: dict[str, str | None], carrying: set[str]) -> None:
        for rule_id, template in asserts.items():
            self._actions[rule_id] = _make_action(self, rule_id, template, rule_id in carrying)
        self._actions[SETTLE] = lambda c: None  # durable requires exactly one argument

    def get_action(self, action_name: str):
        return self._actions[action_name]


def _make_action(host: _QuietHost, rule_id: str, template: str | None, carries: bool):
    fact = json.loads(template % "0") if template is not None else None
    if fact is not None:
        del fact["sid"]

    def action(c):  # durable requires exactly one argument
        host.fired[c.s.sid].append(rule_id)
        if fact is not None:
            # already concluded by another rule, or matched by none: both fine
            with contextlib.suppress(
                _durable.MessageObservedException, _durable.MessageNotHandledException
            ):
                c.assert_fact({**fact, **host.carried[c.s.sid]} if carries else dict(fact))

    return action
