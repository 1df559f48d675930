"""Explicit SIMD vectors for the numba kernels: a 256-bit vector of float32 (8 lanes) or
float64 (4 lanes) as a numba type, with loads, stores, fused multiply-adds and lane
permutations written as LLVM IR.

Why by hand: numba leaves vectorising to LLVM's auto-vectoriser, which vectorises a loop over
long contiguous runs but not the rotations of the lowest qubits of a state, whose partner
amplitudes sit 1, 2, 4, ... elements apart. Measured on this project's 2-core EPYC (Zen 3,
AVX2), complex64, per amplitude and qubit pair: qubits 0-1 1.2 ns, 2-3 1.1 ns, 4-5 0.6 ns,
8-9 0.19 ns with the auto-vectorised loops; 0.16-0.24 ns for every pair with these vectors
(qubits 0-1 as in-vector lane swaps). No library offers SIMD types inside numba; llvmlite's
IR builder (the documented ``numba.extending.intrinsic`` route) does the rest, and LLVM
lowers the generic vectors to whatever the host has (AVX2, AVX-512, NEON, or pairs of SSE
registers).

One operation works on 2-lane vectors instead: :func:`rotate_pair`, the 2x2 rotation of two
complex128 amplitudes at arbitrary indices (the feasible-subspace simulator's partial mixers),
each amplitude one (re, im) vector.

Layout: a vector covers ``width(x)`` consecutive floats of an interleaved complex array
(``psi.view(float32)``): lane 2j is the real part and lane 2j + 1 the imaginary part of
complex j of the vector. Loads and stores are unaligned (the element's alignment).
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic, models, register_model

#: bits of one vector (AVX2: two FMA units of this width on Zen 3 and recent Intel)
VECTOR_BITS = 256


class Vector(types.Type):
    """A ``VECTOR_BITS`` vector of float32 or float64 lanes (numba type)."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.count = VECTOR_BITS // dtype.bitwidth
        super().__init__(name=f"Vector({dtype} x {self.count})")


@register_model(Vector)
class _VectorModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        lane = ir.FloatType() if fe_type.dtype == types.float32 else ir.DoubleType()
        super().__init__(dmm, fe_type, ir.VectorType(lane, fe_type.count))


def _float_array(a) -> bool:
    return isinstance(a, types.Array) and a.ndim == 1 and a.dtype in (types.float32,
                                                                      types.float64)


def _element_ptr(context, builder, aty, a, i):
    return builder.gep(context.make_array(aty)(context, builder, a).data, [i])


@intrinsic
def width(typingctx, a):
    """Lanes of a vector of ``a``'s dtype (a compile-time constant: 8 float32, 4 float64)."""
    if not _float_array(a):
        return None
    count = Vector(a.dtype).count

    def codegen(context, builder, sig, args):
        return context.get_constant(types.intp, count)
    return types.intp(a), codegen


@intrinsic
def load(typingctx, a, i):
    """The vector ``a[i:i + width(a)]`` (no bounds check)."""
    if not _float_array(a) or not isinstance(i, types.Integer):
        return None
    vt = Vector(a.dtype)

    def codegen(context, builder, sig, args):
        ptr = _element_ptr(context, builder, sig.args[0], args[0], args[1])
        ll = context.get_value_type(vt)
        return builder.load(builder.bitcast(ptr, ll.as_pointer()), align=a.dtype.bitwidth // 8)
    return vt(a, i), codegen


@intrinsic
def store(typingctx, a, i, v):
    """``a[i:i + width(a)] = v`` (no bounds check)."""
    if not _float_array(a) or not isinstance(v, Vector) or v.dtype != a.dtype:
        return None

    def codegen(context, builder, sig, args):
        ptr = _element_ptr(context, builder, sig.args[0], args[0], args[1])
        builder.store(args[2], builder.bitcast(ptr, args[2].type.as_pointer()),
                      align=a.dtype.bitwidth // 8)
        return context.get_dummy_value()
    return types.none(a, i, v), codegen


def _splat(alternate: bool):
    @intrinsic
    def splat(typingctx, a, x):
        if not _float_array(a) or not isinstance(x, types.Number):
            return None
        vt = Vector(a.dtype)

        def codegen(context, builder, sig, args):
            lane = context.cast(builder, args[1], sig.args[1], a.dtype)
            neg = builder.fneg(lane) if alternate else lane
            v = ir.Constant(context.get_value_type(vt), ir.Undefined)
            for k in range(vt.count):
                v = builder.insert_element(v, neg if k % 2 else lane,
                                           ir.Constant(ir.IntType(32), k))
            return v
        return vt(a, x), codegen
    return splat


#: ``splat(a, x)``: every lane x (in ``a``'s dtype)
splat = _splat(False)
#: ``splat_alt(a, x)``: lanes (x, -x, x, -x, ...): times :func:`swap_pairs` of a complex
#: vector it gives ``-i x z`` per complex z
splat_alt = _splat(True)


def _permute_xor(mask: int):
    @intrinsic
    def permute(typingctx, v):
        if not isinstance(v, Vector):
            return None

        def codegen(context, builder, sig, args):
            w = sig.args[0].count
            lanes = [k ^ mask if (k ^ mask) < w else k for k in range(w)]
            idx = ir.Constant(ir.VectorType(ir.IntType(32), w), lanes)
            return builder.shuffle_vector(args[0], ir.Constant(args[0].type, ir.Undefined), idx)
        return v(v), codegen
    permute.__doc__ = f"Lane k of the result is lane k ^ {mask} of v."
    return permute


#: real and imaginary part of every complex swapped
swap_pairs = _permute_xor(1)
#: complex j takes the swapped parts of complex j ^ 1 (qubit 0 inside a vector)
swap_xor1 = _permute_xor(3)
#: complex j takes the swapped parts of complex j ^ 2 (qubit 1 inside a float32 vector)
swap_xor2 = _permute_xor(5)


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` lane by lane (fused where the target has FMA: ``llvm.fmuladd``)."""
    if not (isinstance(a, Vector) and a == b == c):
        return None

    def codegen(context, builder, sig, args):
        vt = args[0].type
        suffix = f"v{vt.count}{'f32' if isinstance(vt.element, ir.FloatType) else 'f64'}"
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vt, [vt] * 3),
                                            f"llvm.fmuladd.{suffix}")
        return builder.call(fn, args)
    return a(a, b, c), codegen


@intrinsic
def mul(typingctx, a, b):
    """``a * b`` lane by lane."""
    if not (isinstance(a, Vector) and a == b):
        return None

    def codegen(context, builder, sig, args):
        return builder.fmul(args[0], args[1])
    return a(a, b), codegen


_F64 = Vector(types.float64)


@intrinsic
def zeros64(typingctx, a):
    """A float64 vector of zeros (an accumulator for :func:`widen_add`; ``a`` any array)."""
    if not isinstance(a, types.Array):
        return None

    def codegen(context, builder, sig, args):
        return ir.Constant(context.get_value_type(_F64), [0.0] * _F64.count)
    return _F64(a), codegen


@intrinsic
def widen_add(typingctx, acc, u):
    """``acc + u`` in float64: a float32 ``u`` is widened and its halves added (lane k and
    k + 4 of u both to lane k of acc: parities kept, see :func:`alt_sum`)."""
    if acc != _F64 or not isinstance(u, Vector):
        return None

    def codegen(context, builder, sig, args):
        a, v = args
        if sig.args[1].dtype == types.float64:
            return builder.fadd(a, v)
        f32x4 = ir.VectorType(ir.FloatType(), 4)
        for half in range(2):
            idx = ir.Constant(ir.VectorType(ir.IntType(32), 4), [4 * half + k for k in range(4)])
            part = builder.shuffle_vector(v, ir.Constant(v.type, ir.Undefined), idx)
            assert part.type == f32x4
            a = builder.fadd(a, builder.fpext(part, a.type))
        return a
    return _F64(acc, u), codegen


@intrinsic
def alt_sum(typingctx, acc):
    """Sum of the even lanes minus the odd lanes of a float64 vector (a float64): the
    imaginary part ``sum Im(conj(l) p)`` accumulated as ``l * swap_pairs(p)``."""
    if acc != _F64:
        return None

    def codegen(context, builder, sig, args):
        total = ir.Constant(ir.DoubleType(), 0.0)
        for k in range(_F64.count):
            lane = builder.extract_element(args[0], ir.Constant(ir.IntType(32), k))
            total = builder.fsub(total, lane) if k % 2 else builder.fadd(total, lane)
        return total
    return types.float64(acc), codegen


@intrinsic
def rotate_pair(typingctx, v, s, t, c, sn):
    """``(v[s], v[t]) -> (c v[s] - i sn v[t], c v[t] - i sn v[s])`` for a complex128 array v, each
    complex as one 2-lane vector (re, im): lanes ``c (re, im) + (sn, -sn) (im', re')``, a
    multiply and an add per lane (no fused multiply-add), so the result is bit-identical to
    the scalar ``complex(c a.re + sn b.im, c a.im - sn b.re)``. Half the instructions of the
    scalar form per pair (numba's LLVM does not pair the real and imaginary parts itself).
    Contiguous arrays only; no bounds or negative-index check: s and t must be valid indices."""
    if not (isinstance(v, types.Array) and v.ndim == 1 and v.layout == "C"
            and v.dtype == types.complex128
            and isinstance(s, types.Integer) and isinstance(t, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        arr, si, ti, cv, snv = args
        vt = ir.VectorType(ir.DoubleType(), 2)
        data = context.make_array(sig.args[0])(context, builder, arr).data
        cl = context.cast(builder, cv, sig.args[3], types.float64)
        sl = context.cast(builder, snv, sig.args[4], types.float64)
        i32 = ir.IntType(32)
        undef = ir.Constant(vt, ir.Undefined)
        cvec = builder.insert_element(builder.insert_element(undef, cl, ir.Constant(i32, 0)),
                                      cl, ir.Constant(i32, 1))
        svec = builder.insert_element(builder.insert_element(undef, sl, ir.Constant(i32, 0)),
                                      builder.fneg(sl), ir.Constant(i32, 1))
        swap = ir.Constant(ir.VectorType(i32, 2), [1, 0])
        ptrs = []
        for idx, ty in ((si, sig.args[1]), (ti, sig.args[2])):
            k = context.cast(builder, idx, ty, types.intp)
            ptrs.append(builder.bitcast(builder.gep(data, [k]), vt.as_pointer()))
        a = builder.load(ptrs[0], align=8)
        b = builder.load(ptrs[1], align=8)
        for ptr, x, y in ((ptrs[0], a, b), (ptrs[1], b, a)):
            ys = builder.shuffle_vector(y, undef, swap)
            builder.store(builder.fadd(builder.fmul(cvec, x), builder.fmul(svec, ys)), ptr,
                          align=8)
        return context.get_dummy_value()
    return types.none(v, s, t, c, sn), codegen


__all__ = ["VECTOR_BITS", "Vector", "alt_sum", "fma", "load", "mul", "rotate_pair", "splat",
           "splat_alt", "store", "swap_pairs", "swap_xor1", "swap_xor2", "widen_add", "width",
           "zeros64"]
