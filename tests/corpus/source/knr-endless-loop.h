PyAPI_FUNC(Py_complex) _Py_c_sum(Py_complex, Py_complex);
PyAPI_FUNC(double) _Py_c_abs(Py_complex);

typedef struct {
    PyObject_HEAD
} PyComplexObject;

int h(a, b)
    char *a;
    char *b;
{
    x();
}
