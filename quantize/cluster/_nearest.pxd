# The exact nearest and second-nearest centre of a point, shared by the compiled
# kernels (assignment, Lloyd steps, dithering).
#
# The centres are sorted by their projection on one axis (unit length): for any
# point x and centre c, |u.x - u.c| <= ||x - c||, so a scan outwards from the
# point's own projection can stop on each side as soon as the gap in projection
# squared passes the second-nearest distance found so far.  Distances are computed
# directly as sums of squared differences in float64, features in order, so the
# result is exactly that of the straightforward computation (ties go to the
# centre with the lower index).
#
# With a guess (the label a point had, its neighbour's), the search starts from
# that centre g instead: every other centre c is at least D(g, c) - ||x - g|| from
# x, so a scan of g's nearest neighbours, nearest first, stops as soon as that
# bound passes the runner-up; only when g's list runs out first does the scan of
# projections take over.

from libc.math cimport INFINITY, sqrt

cdef struct Centres:
    Py_ssize_t k, d
    const double* axis          # (d,) the unit axis
    const double* proj          # (k,) projections, ascending
    const double* points        # (k, d) the centres in that order
    const Py_ssize_t* index     # (k,) each one's index among the centres given
    const Py_ssize_t* position  # (k,) where each centre given went in that order
    const double* given         # (k, d) the centres in the order given
    Py_ssize_t n_near           # neighbours listed per centre
    const Py_ssize_t* near      # (k, n_near) each centre's nearest others, nearest first
    const double* near_dist     # (k, n_near) their distances (Euclidean)


cdef class SortedCentres:
    cdef readonly object axis, proj, points, index, position, given, near, near_dist
    cdef Centres view
    cdef void _fill(self)
    cdef const Centres* centres(self)


cdef inline double sq_distance(const double* x, const double* c, Py_ssize_t d) noexcept nogil:
    cdef double acc = 0.0, diff
    cdef Py_ssize_t j
    for j in range(d):
        diff = x[j] - c[j]
        acc = acc + diff * diff
    return acc


cdef inline void consider(double dist, Py_ssize_t index, double* best, double* runner,
                          Py_ssize_t* best_index) noexcept nogil:
    """Keep the nearest and the runner-up's distance (the lower index first on ties)."""
    if dist < best[0] or (dist == best[0] and index < best_index[0]):
        runner[0] = best[0]
        best[0] = dist
        best_index[0] = index
    elif dist < runner[0]:
        runner[0] = dist


cdef inline Py_ssize_t lower_position(const Centres* s, double p) noexcept nogil:
    """The first sorted position whose projection is >= p."""
    cdef Py_ssize_t lo = 0, hi = s.k, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if s.proj[mid] < p:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef inline void nearest_two(const Centres* s, const double* x, Py_ssize_t* label, double* first,
                             double* second) noexcept nogil:
    """The nearest centre of x (its index among the centres given), its squared
    distance and the squared distance of the second nearest (inf with one centre)."""
    cdef double p = 0.0, gap, best = INFINITY, runner = INFINITY
    cdef Py_ssize_t j, up, down, best_index = -1
    cdef bint go_up, go_down
    for j in range(s.d):
        p = p + s.axis[j] * x[j]
    up = lower_position(s, p)
    down = up - 1
    while True:
        # the side whose next centre is nearer in projection goes first; a side stops
        # once that gap, squared (less a hair for rounding), passes the runner-up
        go_up = up < s.k
        if go_up:
            gap = s.proj[up] - p
            go_up = gap * gap * 0.999999 <= runner
        go_down = down >= 0
        if go_down:
            gap = p - s.proj[down]
            go_down = gap * gap * 0.999999 <= runner
        if not go_up and not go_down:
            break
        if go_up and (not go_down or s.proj[up] - p <= p - s.proj[down]):
            j = up
            up = up + 1
        else:
            j = down
            down = down - 1
        consider(sq_distance(x, s.points + j * s.d, s.d), s.index[j], &best, &runner, &best_index)
    label[0] = best_index
    first[0] = best
    second[0] = runner


cdef inline void nearest_two_from(const Centres* s, const double* x, Py_ssize_t guess, Py_ssize_t* label,
                                  double* first, double* second) noexcept nogil:
    """nearest_two, starting from the centre ``guess`` (-1: no guess)."""
    cdef double r, bound, best, runner = INFINITY
    cdef Py_ssize_t t, c, best_index
    if guess < 0:
        nearest_two(s, x, label, first, second)
        return
    best = sq_distance(x, s.given + guess * s.d, s.d)
    best_index = guess
    r = sqrt(best)
    for t in range(s.n_near):
        bound = s.near_dist[guess * s.n_near + t] - r
        if bound > 0 and bound * bound * 0.999999 > runner:
            label[0] = best_index
            first[0] = best
            second[0] = runner
            return
        c = s.near[guess * s.n_near + t]
        consider(sq_distance(x, s.given + c * s.d, s.d), c, &best, &runner, &best_index)
    if s.n_near == s.k - 1:  # every centre was seen
        label[0] = best_index
        first[0] = best
        second[0] = runner
        return
    nearest_two(s, x, label, first, second)


cdef inline Py_ssize_t nearest_one_from(const Centres* s, const double* x, Py_ssize_t guess) noexcept nogil:
    """The nearest centre alone (dithering needs no runner-up), from ``guess`` (>= 0):
    when x is nearer the guess than half the guess's distance to its nearest other
    centre, the guess is nearest (triangle inequality), at the cost of one distance."""
    cdef double r, best, dist, bound, best_e, gap
    cdef Py_ssize_t t, c, best_index = guess, label
    cdef double first, second
    best = sq_distance(x, s.given + guess * s.d, s.d)
    if s.n_near == 0:
        return guess
    gap = s.near_dist[guess * s.n_near]
    if 4 * best < gap * gap * 0.999998:  # 2 sqrt(best) < gap, without the root
        return guess
    r = sqrt(best)
    best_e = r
    for t in range(s.n_near):
        bound = s.near_dist[guess * s.n_near + t] - r
        if bound > best_e * 1.000001:
            return best_index
        c = s.near[guess * s.n_near + t]
        dist = sq_distance(x, s.given + c * s.d, s.d)
        if dist < best or (dist == best and c < best_index):
            best = dist
            best_index = c
            best_e = sqrt(dist)
    if s.n_near == s.k - 1:
        return best_index
    label = -1
    first = second = 0.0
    nearest_two(s, x, &label, &first, &second)
    return label
