// FLOPs split into matrix-multiplication FLOPs (counted exactly: a (a x b)·(b x c) product is
// 2abc) and elementwise FLOPs (estimates; see the constants in flops_profiler.cpp).
#pragma once

namespace gt {

struct Flops {
  double matmul = 0;
  double elementwise = 0;

  double total() const { return matmul + elementwise; }
  Flops& operator+=(const Flops& o) {
    matmul += o.matmul;
    elementwise += o.elementwise;
    return *this;
  }
  friend Flops operator+(Flops a, const Flops& b) { return a += b; }
  friend Flops operator-(Flops a, const Flops& b) {
    a.matmul -= b.matmul;
    a.elementwise -= b.elementwise;
    return a;
  }
  friend Flops operator*(Flops a, double s) {
    a.matmul *= s;
    a.elementwise *= s;
    return a;
  }
  static Flops mm(double f) { return {f, 0}; }
  static Flops ew(double f) { return {0, f}; }
};

}  // namespace gt
