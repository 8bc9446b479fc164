"""The linear audit of secondary suppression: which hidden counts the relations still fix.

An attacker knows every published count and every relation "parent = sum of children"
(:mod:`healthgap.publish._relations`). Moving the published counts to the right-hand side
leaves a linear system :math:`A_U x_U = b` in the unknowns :math:`U` (withheld counts and the
virtual members no row publishes). A hidden count :math:`x_i` is fixed, whatever else is
hidden, exactly when the unit vector :math:`e_i` lies in the row space of :math:`A_U`, i.e.
when every vector of the null space of :math:`A_U` is zero at :math:`i` (Cox 1980, section 3;
Hundepool et al. 2012, section 4.2.2, "audit"). This finds subtraction, chains of
subtractions and every combination of relations at once.

The audit is done per connected group of unknowns linked by relations, after dropping the
relations that hold an unknown in no other relation (such an unknown is free, so its relation
fixes nothing else). Each group is audited by projecting random vectors on the null space of
its relations with one sparse LU factorisation (:class:`_Solver`), so a group of thousands of
unknowns costs about as much as its number of non-zero coefficients, not the cube of its
size; a projection is used only if it is a null vector to working precision, so a numerical
failure can only make the audit withhold more.

When a suppressed count :math:`i` is fixed, withholding one more published count :math:`j`
unfixes it exactly when the column :math:`a_j` of :math:`j` lies in the column space of
:math:`A_U` with a solution :math:`A_U w = a_j` that has :math:`w_i \ne 0`: then
:math:`(w, -1)` is a new null vector moving :math:`i`. (A column outside the column space
raises the rank instead: :math:`j` is then itself fixed and breaks nothing.) Among the
published counts of the group's relations that break a fixed count, the one with the
smallest count per fixed count it breaks is withheld; the audit runs again until nothing is
fixed.

References
----------
.. [1] Cox LH. Suppression methodology and statistical disclosure control. J Am Stat Assoc
   1980;75:377-85.
.. [2] Hundepool A et al. Statistical Disclosure Control. Wiley 2012, chapter 4 (secondary
   cell suppression in linked tables and its audit).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from healthgap.publish._relations import Relations

#: Regularisation of the quasi-definite system (see :class:`_Solver`).
_DELTA = 1e-8
#: Rounds of regularised projection: each shrinks what is left off the null space by a
#: factor of at least ``_DELTA / sigma_min^2``.
_ROUNDS = 6
#: Entries below this (relative to the largest) count as zero.
_TOL = 1e-7
#: Candidate columns solved at once (bounds memory on large groups).
_CHUNK = 256
#: Most candidates tried per group and round (the smallest counts first).
_MAX_CANDIDATES = 512


class Audit(NamedTuple):
    """What one audit found: the suppressed counts still fixed, and what to withhold."""

    fixed: np.ndarray  # row ids of suppressed counts the relations fix
    chosen: np.ndarray  # row ids of published counts to withhold so they are not


class _Solver:
    r"""Null-space projections and least-squares solutions for one sparse matrix :math:`A`.

    One sparse LU factorisation of the quasi-definite matrix
    :math:`K = \begin{pmatrix} I & A^T \\ A & -\delta I \end{pmatrix}` (always
    non-singular for :math:`\delta > 0`; Vanderbei 1995) serves both questions:
    :math:`K (x, y) = (t, 0)` gives :math:`x = (I + A^T A / \delta)^{-1} t`, which keeps the
    null-space part of :math:`t` and shrinks the rest by :math:`\delta / (\delta +
    \sigma^2)` per round; :math:`K (x, y) = (0, g)` gives the regularised least-squares
    solution :math:`x = A^T (A A^T + \delta I)^{-1} g` of :math:`A x = g`, refined on its
    residual. Cost: the factorisation of a matrix as sparse as :math:`A`, not a dense
    decomposition (a group of 2,300 unknowns: 0.1 s against a minute).
    """

    def __init__(self, matrix: csr_matrix) -> None:
        from scipy.sparse import bmat, identity
        from scipy.sparse.linalg import splu

        self.matrix = matrix
        self.m, self.n = matrix.shape
        system = bmat(
            [
                [identity(self.n, format="csc"), matrix.T],
                [matrix, -_DELTA * identity(self.m, format="csc")],
            ],
            format="csc",
        )
        self._lu = splu(system)

    def _solve(self, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
        return self._lu.solve(np.vstack([top, bottom]))[: self.n]

    def moved(self) -> np.ndarray:
        """Which columns some null vector moves (checked null vectors only)."""
        rng = np.random.default_rng(0)
        x = rng.standard_normal((self.n, 4))
        zeros = np.zeros((self.m, x.shape[1]))
        for _ in range(_ROUNDS):
            x = self._solve(x, zeros)
        scale = np.abs(x).max(axis=0)
        # keep only projections that are null vectors to working precision
        valid = np.abs(self.matrix @ x).max(axis=0) <= 1e-9 * np.maximum(scale, 1.0)
        x = x[:, valid]
        if not x.shape[1]:
            return np.zeros(self.n, bool)
        return (np.abs(x) > _TOL * np.maximum(scale[valid], 1e-300)).any(axis=1)

    def least_squares(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Solutions :math:`w` of :math:`A w = g` (columns) and whether each is exact."""
        zeros = np.zeros((self.n, g.shape[1]))
        w = self._solve(zeros, g)
        for _ in range(3):
            w = w + self._solve(zeros, g - self.matrix @ w)
        residual = np.abs(self.matrix @ w - g).max(axis=0)
        return w, residual <= 1e-8 * np.maximum(np.abs(g).max(axis=0), 1.0)


def two_core(rel: np.ndarray, var: np.ndarray, live: np.ndarray, n_vars: int) -> np.ndarray:
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


def _breakers(solver: _Solver, columns: csr_matrix, targets: np.ndarray) -> np.ndarray:
    """Which candidate columns unfix which targets: a (candidates x targets) mask.

    A candidate column :math:`a_j` breaks target :math:`i` when :math:`A w = a_j` has a
    solution with :math:`w_i \\ne 0`: then :math:`(w, -1)` is a null vector moving ``i``.
    """
    out = np.zeros((columns.shape[1], len(targets)), bool)
    for start in range(0, columns.shape[1], _CHUNK):  # chunks of columns, not rows
        block = columns[:, start : start + _CHUNK].toarray()
        w, exact = solver.least_squares(block)
        out[start : start + _CHUNK] = (np.abs(w[targets]) > _TOL).T & exact[:, None]
    return out


def audit(
    r: Relations,
    incidence: csr_matrix,
    known: np.ndarray,
    secret: np.ndarray,
    published: np.ndarray,
    count: np.ndarray,
    clean: set[bytes] | None = None,
) -> Audit:
    """Suppressed counts fixed by the relations, and published counts that unfix them.

    ``known`` marks the variables an attacker knows (published counts, and those worked out
    by differencing); ``secret`` and ``published`` are indexed by row id; ``incidence`` is
    the relations x variables matrix of coefficients (+1 parent, -1 part). ``clean`` holds
    the groups (their variables and relations) already found to fix nothing: they are
    skipped, and groups found so are added (a later round re-audits only what changed).
    """
    n, n_vars = len(published), len(known)
    none = np.zeros(0, np.int64)
    live = two_core(r.rel, r.var, ~known[r.var], n_vars)
    rel, var, sign = r.rel[live], r.var[live], np.where(r.is_parent[live], 1.0, -1.0)
    if not len(rel):
        return Audit(none, none)
    rels, rel_index = np.unique(rel, return_inverse=True)
    graph = coo_matrix(
        (np.ones(len(var)), (var, n_vars + rel_index)), shape=(n_vars + len(rels),) * 2
    )
    _, label = connected_components(graph, directed=False)
    secret_vars = np.flatnonzero(secret & ~known[:n])
    # a published count in a relation whose other members are all known would be worked out
    # again at once: withholding it breaks nothing
    n_unknown = np.bincount(r.rel, weights=~known[r.var], minlength=incidence.shape[0])
    futile = np.zeros(n_vars, bool)
    futile[r.var[n_unknown[r.rel] == 0]] = True
    # a published count in relations of two groups would link them when withheld, and the
    # other group's relations may fix it: only counts of one group's relations are tried
    in_live = np.zeros(incidence.shape[0], bool)
    in_live[rels] = True
    group_of_rel = np.full(incidence.shape[0], -1, np.int64)
    group_of_rel[rel] = label[var]
    linked = r.var[in_live[r.rel]]
    groups_of_var = group_of_rel[r.rel[in_live[r.rel]]]
    first = np.full(n_vars, -1, np.int64)
    first[linked] = groups_of_var
    futile[linked[groups_of_var != first[linked]]] = True
    order = np.argsort(label[var], kind="stable")
    groups, starts = np.unique(label[var][order], return_index=True)
    ends = np.append(starts[1:], len(order))
    fixed_all, chosen = [], []
    # one loop per connected group of unknowns holding a suppressed count (not per row)
    for group in np.intersect1d(np.unique(label[secret_vars]), groups):
        at = np.searchsorted(groups, group)
        members = order[starts[at] : ends[at]]
        g_vars, col = np.unique(var[members], return_inverse=True)
        g_rels, row = np.unique(rel[members], return_inverse=True)
        key = g_vars.tobytes() + b"|" + g_rels.tobytes()
        if clean is not None and key in clean:
            continue  # the same group as in an earlier round, which fixed nothing
        matrix = csr_matrix((sign[members], (row, col)), shape=(len(g_rels), len(g_vars)))
        solver = _Solver(matrix)
        fixed = ~solver.moved()
        is_secret = np.zeros(len(g_vars), bool)
        real = g_vars < n
        is_secret[real] = secret[g_vars[real]]
        targets = np.flatnonzero(fixed & is_secret)
        if not len(targets):
            if clean is not None:
                clean.add(key)
            continue
        fixed_all.append(g_vars[targets])
        chosen.append(
            _complements(
                solver, g_rels, g_vars[targets], targets, incidence, published, futile, count
            )
        )
    if not fixed_all:
        return Audit(none, none)
    return Audit(np.concatenate(fixed_all), np.unique(np.concatenate(chosen)))


def _complements(
    solver: _Solver,
    rels: np.ndarray,
    target_rows: np.ndarray,
    targets: np.ndarray,
    incidence: csr_matrix,
    published: np.ndarray,
    futile: np.ndarray,
    count: np.ndarray,
) -> np.ndarray:
    """Published counts to withhold so that each fixed target is not (one per target at most).

    Candidates are the published members of the group's relations that hold a target (at
    most :data:`_MAX_CANDIDATES`, the smallest counts); each target gets the candidate that
    breaks it with the smallest count per target broken. A target no candidate breaks gets
    the smallest published count of a relation it is in.
    """
    n = len(published)
    block = incidence[rels].tocsc()
    members = np.unique(block.indices)
    members = members[members < n]
    holding = np.intersect1d(rels, incidence[:, target_rows].tocoo().row)
    near = np.unique(incidence[holding].tocoo().col)
    near = near[near < n]
    candidates = near[published[near] & ~futile[near]]
    candidates = candidates[np.argsort(count[candidates], kind="stable")[:_MAX_CANDIDATES]]
    breaks = _breakers(solver, block[:, candidates].tocsr(), targets)
    n_broken = breaks.sum(axis=1)
    cost = np.where(
        breaks, (count[candidates] + 1.0)[:, None] / np.maximum(n_broken, 1)[:, None], np.inf
    )
    best = np.argmin(cost, axis=0) if len(candidates) else np.zeros(len(targets), np.int64)
    found = (
        np.isfinite(cost[best, np.arange(len(targets))])
        if len(candidates)
        else np.zeros(len(targets), bool)
    )
    picked = candidates[best[found]] if len(candidates) else np.zeros(0, np.int64)
    if found.all():
        return picked
    # fallback: the smallest published count of each relation holding an unbroken target
    # (its differencing partner follows, as the count is protected); when those relations
    # publish nothing, the smallest published count of the group's relations
    lost = target_rows[~found]
    around = incidence[np.unique(incidence[:, lost].tocoo().row)].tocoo()
    shown = (around.col < n) & published[np.minimum(around.col, n - 1)]
    if not shown.any():
        if not len(members):
            return picked
        pool = members[published[members]]
        if not len(pool):
            return picked
        return np.append(picked, pool[np.argmin(count[pool])])
    preferred = shown & ~futile[around.col]
    if preferred.any():
        shown = preferred
    rows, cols = around.row[shown], around.col[shown]
    ranked = np.lexsort((cols, count[cols], rows))
    _, first = np.unique(rows[ranked], return_index=True)
    return np.concatenate([picked, cols[ranked][first]])
