"""Secondary suppression: withhold published counts until no suppressed count is recoverable.

An attacker knows every published count and every relation "parent = sum of children"
(:mod:`healthgap.publish._relations`). Two attacks are closed, repeatedly, until neither
recovers a suppressed count:

1. *Differencing*, with chains: a relation with one unknown member gives it away; that
   member is then known and may complete another relation (London minus the published
   boroughs, a pooled count minus two published single years, Persons minus Male, ...).
   When a suppressed count falls, the published member with the smallest count (parts
   before totals) of the relation that gave it away is withheld; when that relation holds no
   published count, the relation that gave away one of its members is used instead.
2. *Linear algebra*: the unknowns may be fixed by several relations together (a 2x2 block
   of a table with its margins, a cell bridging two such blocks) though no single relation
   has one unknown. For each connected group of unknowns, a count is recoverable exactly when
   no vector of the null space of the relations restricted to the unknowns moves it
   (Cox 1980; Hundepool et al. 2012, section 4.2.2); a certificate (the combination of
   relations that isolates it) says which published counts to withhold.

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
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from healthgap.publish._relations import Relations

#: Largest group of linked unknowns audited by a dense singular value decomposition; larger
#: groups are audited by projections on the null space (sparse least squares).
DENSE_MAX = 1500
#: Rounds of the exact audit that withhold one count per certificate; after them, every
#: published count in a relation with a still fixed suppressed count is withheld at once.
AUDIT_ROUNDS = 50
_TOL = 1e-9


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


def _null_space_rows(matrix: np.ndarray) -> np.ndarray:
    """Norm of each variable's row in an orthonormal basis of the null space of ``matrix``."""
    if matrix.shape[1] <= DENSE_MAX:
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        tol = max(matrix.shape) * np.finfo(float).eps * (singular[0] if len(singular) else 0)
        rank = int((singular > tol).sum())
        basis = vt[rank:]
        return np.sqrt((basis**2).sum(axis=0)) if len(basis) else np.zeros(matrix.shape[1])
    from scipy.sparse.linalg import lsqr

    # Projections of random vectors on the null space: r - A^T y with y = argmin |A^T y - r|;
    # a variable that no null vector moves has 0 in every projection.
    sparse = csr_matrix(matrix)
    rng = np.random.default_rng(0)
    spread = np.zeros(matrix.shape[1])
    for _ in range(3):
        target = rng.standard_normal(matrix.shape[1])
        y = lsqr(sparse.T, target, atol=1e-14, btol=1e-14, iter_lim=20 * sum(matrix.shape))[0]
        spread = np.maximum(spread, np.abs(target - sparse.T @ y))
    return spread


def _two_core(rel: np.ndarray, var: np.ndarray, live: np.ndarray, n_vars: int) -> np.ndarray:
    """Members of the relations that can fix an unknown, on their unknowns (a mask).

    An unknown in a single relation is free, so that relation constrains nothing else: it
    is dropped, and so on until every unknown left is in two relations or more.
    """
    live = live.copy()
    while True:
        n_in = np.bincount(var[live], minlength=n_vars)
        alone = live & (n_in[var] == 1)
        if not alone.any():
            return live
        live &= ~np.isin(rel, np.unique(rel[alone]))


def _fix_combinations(
    derived: np.ndarray,
    via: np.ndarray,
    secret: np.ndarray,
    r: Relations,
    incidence: csr_matrix,
    published: np.ndarray,
    count: np.ndarray,
) -> np.ndarray:
    """Rows to withhold so that no suppressed count is fixed by several relations together.

    Returns the rows chosen (one per certificate) and the suppressed rows found fixed.
    """
    n, n_vars = len(published), len(derived)
    live = _two_core(r.rel, r.var, ~derived[r.var], n_vars)
    rel, var, sign = r.rel[live], r.var[live], np.where(r.is_parent[live], 1.0, -1.0)
    none = np.zeros(0, np.int64)
    if not len(rel):
        return none, none
    rels, rel_index = np.unique(rel, return_inverse=True)
    graph = coo_matrix(
        (np.ones(len(var)), (var, n_vars + rel_index)), shape=(n_vars + len(rels),) * 2
    )
    _, label = connected_components(graph, directed=False)
    secret_vars = np.flatnonzero(secret & ~derived[:n])
    chosen, fixed_secrets = [], []
    # one loop per connected group of unknowns holding a suppressed count (not per row)
    for group in np.unique(label[secret_vars]):
        in_group = label[var] == group
        g_vars, col = np.unique(var[in_group], return_inverse=True)
        g_rels, row = np.unique(rel_index[in_group], return_inverse=True)
        matrix = np.zeros((len(g_rels), len(g_vars)))
        matrix[row, col] = sign[in_group]
        fixed = _null_space_rows(matrix) < _TOL
        targets = np.flatnonzero(fixed & (g_vars < n) & secret[np.minimum(g_vars, n - 1)])
        if not len(targets):
            continue
        fixed_secrets.append(g_vars[targets])
        # certificates: combinations y of relations with y^T A = e_i on the unknowns
        unit = np.zeros((len(g_vars), len(targets)))
        unit[targets, np.arange(len(targets))] = 1.0
        certificates = np.linalg.lstsq(matrix.T, unit, rcond=None)[0]
        chosen.append(
            _breaking_cells(rels[g_rels], certificates, incidence, via, published, derived, count)
        )
    if not chosen:
        return none, none
    return np.concatenate(chosen), np.concatenate(fixed_secrets)


def _breaking_cells(
    rels: np.ndarray,
    certificates: np.ndarray,
    incidence: csr_matrix,
    via: np.ndarray,
    published: np.ndarray,
    known: np.ndarray,
    count: np.ndarray,
) -> np.ndarray:
    """For each certificate, the published count with the smallest count it depends on.

    The certificate's weights on known variables are ``y^T M``; a variable known only by
    differencing passes its weight on to the members of the relation that gave it away,
    until every weight sits on a published count. Withholding one with a non-zero weight
    breaks the certificate.
    """
    n = len(count)
    weights = (incidence[rels].T @ csr_matrix(certificates)).tocsr()
    recovered = via >= 0  # known by differencing only (published counts have no ``via``)
    for _ in range(len(via)):
        weights.eliminate_zeros()
        on_recovered = np.flatnonzero(
            recovered & (abs(weights).max(axis=1).toarray().ravel() > _TOL)
        )
        if not len(on_recovered):
            break
        source = via[on_recovered]
        coefficient = np.asarray(incidence[source, on_recovered]).ravel()
        moved = -weights[on_recovered].multiply(1.0 / coefficient[:, None]).tocsr()
        spread = coo_matrix(
            (np.ones(len(source)), (source, np.arange(len(source)))),
            shape=(incidence.shape[0], len(source)),
        )
        weights = (weights + incidence.T @ (spread @ moved)).tocsr()
    weights = abs(weights[:n]).toarray()
    usable = (weights > _TOL) & published[:, None]
    # a count in a relation whose other members are all known would be worked out again
    # at once: withholding it is futile while another choice exists
    futile = np.zeros(n, bool)
    rel_of = incidence.tocoo()
    n_unknown = np.bincount(rel_of.row, weights=~known[rel_of.col], minlength=incidence.shape[0])
    closed = (n_unknown[rel_of.row] == 0) & (rel_of.col < n)
    futile[rel_of.col[closed]] = True
    cost = np.where(usable, count[:, None] + np.where(futile, 1e12, 0.0)[:, None], np.inf)
    best = np.argmin(cost, axis=0)
    found = np.isfinite(cost[best, np.arange(cost.shape[1])])
    return np.unique(best[found])


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
    exact: bool = False,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
) -> np.ndarray:
    """Rows to withhold (primary ones included) so no primary count is recoverable.

    ``primary`` and ``count`` (NaN when null) are indexed by row id; ``r`` are the
    relations among the rows. Differencing chains are always closed, and with ``low`` and
    ``high`` (the range each suppressed count is known to lie in) so are sums of suppressed
    parts pinned by those bounds; ``exact`` also closes combinations of relations (slower,
    and it withholds more). Loops over rounds of the attacks, never over rows.
    """
    n = len(primary)
    withheld = primary.copy()
    audits = 0
    if not len(r.rel):
        return withheld
    n_rels = int(r.rel.max()) + 1
    secret = primary & ~np.isnan(count)
    # suppressed counts, and counts withheld to break a combination (which must then stay
    # unknown themselves, or they would be worked out again and break nothing)
    protected = secret.copy()
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
        elif not exact:
            return withheld
        else:
            audits += 1
            extra, fixed = _fix_combinations(derived, via, secret, r, incidence, published, count)
            if not len(fixed):
                return withheld
            if audits > AUDIT_ROUNDS:
                # alternatives keep turning up: withhold every published count in a
                # relation with a still fixed suppressed count, which ends it sooner
                around = np.isin(r.rel, r.rel[np.isin(r.var, fixed)]) & (r.var < n)
                extra = r.var[around][published[r.var[around]]]
        extra = extra[~withheld[extra]]
        if not len(extra):
            # no single count breaks the attack (never seen in practice): withhold every
            # published member of a relation with an unknown member, then audit again
            open_rels = np.unique(r.rel[~derived[r.var]])
            members = r.var[np.isin(r.rel, open_rels) & (r.var < n)]
            extra = members[published[members]]
            if not len(extra):
                return withheld
        withheld[extra] = True
        if not len(leaked):
            protected[extra] = True
