"""Switches only the server's own Python code can turn: no RPC caller can.

A context key is client input: any JSON-RPC or XML-RPC caller can put any
key with any JSON value in its context. These switches are objects private
to this module, put in the context by the functions below; a caller over the
wire can send the key, never the object, so ``is`` never matches for it.
Nothing that credits, reverses, approves or pays is turned off by a context
key a client can send.
"""

_CREDITING_OFF = object()
_CREDITING_KEY = "everyone_sells_crediting_switch"

_IMPORT = object()
_IMPORT_KEY = "everyone_sells_import_switch"

_CONFIRM = object()
_CONFIRM_KEY = "everyone_sells_confirm_switch"


def without_crediting(env):
    """``env`` in which nothing is noted for crediting or reversing: for the
    bench, which measures a won write with crediting off against on, and for
    tests that build history. Python on the server only (the bench, tests,
    migrations): no RPC call can reach it."""
    return env(context=dict(env.context, **{_CREDITING_KEY: _CREDITING_OFF}))


def with_crediting(env):
    """``env`` with crediting back on (the default)."""
    return env(context={k: v for k, v in env.context.items() if k != _CREDITING_KEY})


def crediting_is_off(env):
    return env.context.get(_CREDITING_KEY) is _CREDITING_OFF


def importing(records):
    """``records`` inside an import (``load``, the import screen's path):
    deals that become won there were not seen winning by the server."""
    return records.with_context(**{_IMPORT_KEY: _IMPORT})


def is_importing(env):
    return env.context.get(_IMPORT_KEY) is _IMPORT


def confirming(records):
    """``records`` as their employee's confirm action writes them."""
    return records.with_context(**{_CONFIRM_KEY: _CONFIRM})


def is_confirming(env):
    return env.context.get(_CONFIRM_KEY) is _CONFIRM


_MAIL = object()
_MAIL_KEY = "everyone_sells_mail_switch"


def from_mail(records):
    """``records`` as the mail gateway creates them (a signal by e-mail waits
    for its employee to confirm it)."""
    return records.with_context(**{_MAIL_KEY: _MAIL})


def is_from_mail(env):
    return env.context.get(_MAIL_KEY) is _MAIL


_WORKFLOW = object()
_WORKFLOW_KEY = "everyone_sells_ledger_workflow"


def in_workflow(records):
    """``records`` as the addon's own approval, payout and payment methods
    move them: a ledger entry's state, a payout's state and its lines'
    figures change only inside this switch."""
    return records.with_context(**{_WORKFLOW_KEY: _WORKFLOW})


def is_in_workflow(env):
    return env.context.get(_WORKFLOW_KEY) is _WORKFLOW


def out_of_workflow(records):
    """``records`` with the switch off again: what the ORM writes next (the
    trackings, the computed fields) is written without it."""
    return records.with_context(**{_WORKFLOW_KEY: None})
