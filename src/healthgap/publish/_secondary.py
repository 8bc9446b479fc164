"""Secondary suppression: withhold published counts until no suppressed count is recoverable.

An attacker knows every published count and every relation "parent = sum of children"
(:mod:`healthgap.publish._relations`). Three attacks are closed, repeatedly, until none
recovers a suppressed count:

1. *Differencing*, with chains: a relation with one unknown member gives it away; that
   member is then known and may complete another relation (London minus the published
   boroughs, a pooled count minus two published single years, Persons minus Male, ...).
   When a suppressed count falls, the published member with the smallest count (parts
   before totals) of the relation that gave it away is withheld; when that relation holds no
   published count, the relation that gave away one of its members is used instead.
2. *Bounds on one relation*: a published total over suppressed parts only, equal to the sum
   of their lowest or highest possible values, pins every part (8 = 4 + 4 with counts 1-4
   suppressed); the smallest published member of such a relation is withheld.
3. *Linear algebra*: the unknowns may be fixed by several relations together (a 2x2 block
   of a table with its margins, a cell bridging two such blocks) though no single relation
   has one unknown; :mod:`healthgap.publish._disclosure_audit` finds every such count and
   the published counts that unfix them.

Differencing is closed first because it is cheap and finds most leaks; the audit then
catches the rest, and every round starts again from differencing.

References
----------
.. [1] Cox LH. Suppression methodology and statistical disclosure control. J Am Stat Assoc
   1980;75:377-85.
.. [2] Hundepool A et al. Statistical Disclosure Control. Wiley 2012, chapter 4 (magnitude
   and frequency tables: secondary cell suppression and its audit).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.sparse import csr_matrix

from healthgap.publish import _disclosure_audit
from healthgap.publish._relations import Relations

#: Rounds of the linear audit (withholding counts that unfix the fixed ones) before giving
#: up and reporting what is left.
AUDIT_ROUNDS = 8


class _Index(NamedTuple):
    """The members of each relation and the relations of each variable (CSR offsets)."""

    by_rel: np.ndarray  # member positions sorted by relation
    rel_start: np.ndarray  # offsets into by_rel, one per relation and one more
    by_var: np.ndarray  # member positions sorted by variable
    var_start: np.ndarray


def _index(r: Relations, n_rels: int) -> _Index:
    by_rel = np.argsort(r.rel, kind="stable")
    by_var = np.argsort(r.var, kind="stable")
    rel_start = np.searchsorted(r.rel[by_rel], np.arange(n_rels + 1))
    var_start = np.searchsorted(r.var[by_var], np.arange(r.n_vars + 1))
    return _Index(by_rel, rel_start, by_var, var_start)


def _members(order: np.ndarray, start: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Member positions of the relations (or variables) ``ids``, all at once."""
    lengths = start[ids + 1] - start[ids]
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64)
    offsets = np.repeat(start[ids] - np.cumsum(lengths) + lengths, lengths)
    return order[offsets + np.arange(total)]


def _closure(known: np.ndarray, r: Relations, index: _Index) -> tuple[np.ndarray, np.ndarray]:
    """Variables known or recoverable by chains of differencing, and the relation that gave each.

    Each round solves every relation with one unknown member; only the relations of the
    variables just solved are looked at again.
    """
    derived = known.copy()
    via = np.full(len(known), -1, np.int64)
    n_unknown = np.bincount(r.rel, weights=~derived[r.var], minlength=len(index.rel_start) - 1)
    candidates = np.flatnonzero(n_unknown == 1)
    while len(candidates):
        inside = _members(index.by_rel, index.rel_start, candidates)
        inside = inside[~derived[r.var[inside]]]
        solved, first = np.unique(r.var[inside], return_index=True)
        if not len(solved):
            break
        derived[solved] = True
        via[solved] = r.rel[inside[first]]
        touched = _members(index.by_var, index.var_start, solved)
        n_unknown -= np.bincount(r.rel[touched], minlength=len(n_unknown))
        relations = np.unique(r.rel[touched])
        candidates = relations[n_unknown[relations] == 1]
    return derived, via


def _cheapest(
    rels: np.ndarray, r: Relations, index: _Index, published: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each relation in ``rels``: its published member with the smallest count.

    Parts come before totals. Returns the chosen row ids and the relations (of ``rels``)
    without a published member.
    """
    n = len(published)
    inside = _members(index.by_rel, index.rel_start, rels)
    var = r.var[inside]
    shown = np.zeros(len(inside), bool)
    shown[var < n] = published[var[var < n]]
    m_rel, m_var, m_parent = r.rel[inside][shown], var[shown], r.is_parent[inside][shown]
    order = np.lexsort((m_var, count[m_var], m_parent, m_rel))
    _, first = np.unique(m_rel[order], return_index=True)
    chosen = m_var[order][first]
    missing = np.setdiff1d(rels, m_rel)
    return chosen, missing


def _fix_differencing(
    leaked: np.ndarray,
    via: np.ndarray,
    derived: np.ndarray,
    r: Relations,
    index: _Index,
    published: np.ndarray,
    count: np.ndarray,
) -> np.ndarray:
    """Rows to withhold so that the differencing that gave away ``leaked`` is broken."""
    chosen = []
    frontier = np.unique(via[leaked])
    seen = np.zeros(len(index.rel_start) - 1, bool)
    n = len(published)
    while len(frontier):
        seen[frontier] = True
        picked, missing = _cheapest(frontier, r, index, published, count)
        chosen.append(picked)
        if not len(missing):
            break
        # members of those relations that were themselves recovered: break their relation
        var = r.var[_members(index.by_rel, index.rel_start, missing)]
        shown = np.zeros(len(var), bool)
        shown[var < n] = published[var[var < n]]
        recovered = var[derived[var] & ~shown & (via[var] >= 0)]
        frontier = np.unique(via[recovered])
        frontier = frontier[~seen[frontier]]
    return np.concatenate(chosen) if chosen else np.zeros(0, np.int64)


def _pinned(
    r: Relations,
    secret: np.ndarray,
    published: np.ndarray,
    count: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> np.ndarray:
    """Relations whose hidden parts are all suppressed counts pinned by their bounds.

    A suppressed count is known to lie in ``[low, high]`` (the rule's range, which its note
    states). When every unknown member of a relation is a suppressed part, their sum is
    known; if it equals the sum of their lows or of their highs, each one is known
    (8 = 4 + 4 with counts 1-4 suppressed).
    """
    n = len(published)
    var = np.minimum(r.var, n - 1)
    real = r.var < n
    shown = real & published[var]
    sign = np.where(r.is_parent, 1.0, -1.0)
    n_rels = int(r.rel.max()) + 1
    known_sum = np.bincount(
        r.rel, weights=np.where(shown, sign * count[var], 0.0), minlength=n_rels
    )
    hidden = real & secret[var]
    n_unknown = np.bincount(r.rel, weights=~shown, minlength=n_rels)
    n_hidden = np.bincount(r.rel, weights=hidden & ~r.is_parent, minlength=n_rels)
    lows = np.bincount(r.rel, weights=np.where(hidden, low[var], 0.0), minlength=n_rels)
    highs = np.bincount(r.rel, weights=np.where(hidden, high[var], 0.0), minlength=n_rels)
    bounded = (n_hidden >= 2) & (n_hidden == n_unknown)
    pinned = bounded & (np.isclose(known_sum, lows) | np.isclose(known_sum, highs))
    return np.flatnonzero(pinned)


def protect(
    primary: np.ndarray,
    count: np.ndarray,
    r: Relations,
    *,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Rows to withhold (primary ones included) so no primary count is recoverable.

    ``primary`` and ``count`` (NaN when null) are indexed by row id; ``r`` are the
    relations among the rows. Rounds of three attacks until none recovers a suppressed
    count: differencing chains (cheap, closed first); with ``low`` and ``high`` (the range
    each suppressed count is known to lie in), sums of suppressed parts pinned by those
    bounds; and the linear audit of :mod:`healthgap.publish._disclosure_audit` (every
    combination of relations). Loops over rounds of the attacks, never over rows.

    Returns the rows to withhold and the number of suppressed counts still fixed by a
    combination of relations when :data:`AUDIT_ROUNDS` rounds of the audit did not free
    them all (0 when none is recoverable).
    """
    n = len(primary)
    withheld = primary.copy()
    if not len(r.rel):
        return withheld, 0
    n_rels = int(r.rel.max()) + 1
    secret = primary & ~np.isnan(count)
    # suppressed counts, and counts withheld to break pinning bounds or a combination of
    # relations: those must stay unknown too (a complement worked out again at once breaks
    # nothing), so a complement without a partner gets one from the differencing step
    protected = secret.copy()
    audits = 0
    clean: set[bytes] = set()  # groups of unknowns the audit found fixing nothing
    index = _index(r, n_rels)
    incidence = csr_matrix(
        (np.where(r.is_parent, 1.0, -1.0), (r.rel, r.var)), shape=(n_rels, r.n_vars)
    )
    while True:
        published = ~withheld & ~np.isnan(count)
        known = np.zeros(r.n_vars, bool)
        known[:n] = published
        derived, via = _closure(known, r, index)
        leaked = np.flatnonzero(protected & derived[:n])
        pinned = _pinned(r, secret, published, count, low, high) if low is not None else []
        if len(leaked):
            extra = _fix_differencing(leaked, via, derived, r, index, published, count)
        elif len(pinned):
            extra, _ = _cheapest(pinned, r, index, published, count)
            protected[extra] = True  # a total worked out again would pin the parts again
        else:
            found = _disclosure_audit.audit(r, incidence, derived, secret, published, count, clean)
            if not len(found.fixed):
                return withheld, 0
            audits += 1
            if audits > AUDIT_ROUNDS:
                # one count at a time keeps failing (never seen on random tables; seen on
                # 11 years of a large linked indicator): stop, and say how many are left
                return withheld, len(found.fixed)
            extra = found.chosen
            protected[extra] = True
        extra = extra[~withheld[extra]]
        if not len(extra):
            # no single count breaks the attack (never seen in practice): withhold every
            # published member of a relation with an unknown member, then audit again
            open_rels = np.unique(r.rel[~derived[r.var]])
            members = r.var[np.isin(r.rel, open_rels) & (r.var < n)]
            extra = members[published[members]]
            if not len(extra):
                return withheld, 0
        withheld[extra] = True
