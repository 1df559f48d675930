"""Models of other libraries in and out: one module per library, each behind its extra.

- qiskit-addon-opt-mapper ``OptimizationProblem``: in, out :func:`to_optimization_problem`;
- qiskit-optimization ``QuadraticProgram``: in, out :func:`to_quadratic_program`;
- docplex ``Model``: in, out :func:`to_docplex`;
- dimod ``BinaryQuadraticModel`` / ``BinaryPolynomial`` / ``ConstrainedQuadraticModel``: in,
  out :func:`to_bqm` / :func:`to_binary_polynomial` / :func:`to_cqm`.

Read any of them with :func:`from_object`. Objects are recognised by their class (module
and name) without importing any of these libraries; each library is imported only when
one of its objects is read or written, and a missing one is an
:class:`~qopt.errors.OptionError` naming the package and qopt extra.
Every reader returns the library-neutral :class:`~qopt.model.interop.terms.ModelTerms`.
"""

from __future__ import annotations

from qopt.errors import OptionError
from qopt.model.interop._extra import module_of
from qopt.model.interop.terms import ModelTerms

#: (top-level module, class name) -> (module of qopt.model.interop, reader function)
_READERS = {
    ("qiskit_addon_opt_mapper", "OptimizationProblem"): ("opt_mapper",
                                                         "from_optimization_problem"),
    ("qiskit_optimization", "QuadraticProgram"): ("qiskit_optimization",
                                                  "from_quadratic_program"),
    ("docplex", "Model"): ("docplex", "from_docplex"),
    ("dimod", "BinaryQuadraticModel"): ("dimod", "from_bqm"),
    ("dimod", "BinaryPolynomial"): ("dimod", "from_binary_polynomial"),
    ("dimod", "ConstrainedQuadraticModel"): ("dimod", "from_cqm"),
}


def _reader(obj):
    for cls in type(obj).__mro__:
        key = (cls.__module__.split(".")[0], cls.__name__)
        if key in _READERS:
            return _READERS[key]
    return None


def is_model_object(obj) -> bool:
    """Whether ``obj`` is a model object of a library qopt reads (see the module table)."""
    return _reader(obj) is not None


def from_object(obj) -> ModelTerms:
    """The :class:`ModelTerms` of a library's model object (see the module table)."""
    import importlib

    found = _reader(obj)
    if found is None:
        raise OptionError(f"cannot read an object of type {type(obj).__name__} (from "
                          f"{module_of(obj)}) as a model")
    module, function = found
    return getattr(importlib.import_module(f"qopt.model.interop.{module}"), function)(obj)


def _exporter(module: str, function: str):
    def export(model):
        import importlib

        terms = as_terms(model)
        return getattr(importlib.import_module(f"qopt.model.interop.{module}"), function)(terms)

    export.__name__ = function
    return export


def as_terms(model) -> ModelTerms:
    """:class:`ModelTerms` of a qopt model (``Program``, ``BinaryProgram``, ``QUBO``) or of a
    library's model object."""
    from qopt.model.interop.bridge import terms_of

    if isinstance(model, ModelTerms):
        return model
    if is_model_object(model):
        return from_object(model)
    return terms_of(model)


to_optimization_problem = _exporter("opt_mapper", "to_optimization_problem")
to_optimization_problem.__doc__ = """An opt-mapper ``OptimizationProblem`` of ``model`` (a qopt
model or any object :func:`from_object` reads): every variable kind, any degree."""
to_quadratic_program = _exporter("qiskit_optimization", "to_quadratic_program")
to_quadratic_program.__doc__ = """A qiskit-optimization ``QuadraticProgram`` of ``model``
(binary / integer variables, degree <= 2)."""
to_docplex = _exporter("docplex", "to_docplex")
to_docplex.__doc__ = """A docplex ``Model`` of ``model`` (binary / integer, degree <= 2)."""
to_bqm = _exporter("dimod", "to_bqm")
to_bqm.__doc__ = """A dimod ``BinaryQuadraticModel`` of an unconstrained binary or spin model
of degree <= 2 (a max model is negated: dimod minimises)."""
to_binary_polynomial = _exporter("dimod", "to_binary_polynomial")
to_binary_polynomial.__doc__ = """A dimod ``BinaryPolynomial`` of an unconstrained binary or
spin model of any degree (a max model is negated)."""
to_cqm = _exporter("dimod", "to_cqm")
to_cqm.__doc__ = """A dimod ``ConstrainedQuadraticModel`` of ``model`` (binary, spin and
integer variables, degree <= 2; a max model's objective is negated)."""

__all__ = ["ModelTerms", "as_terms", "from_object", "is_model_object", "to_binary_polynomial",
           "to_bqm", "to_cqm", "to_docplex", "to_optimization_problem", "to_quadratic_program"]
