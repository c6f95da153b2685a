/* This file is (practically) empty by default.  The Makefile will replace it
   with a non-empty version that defines `__wasilibc_use_wasip2` if targeting
   `wasm32-wasip2`.
 */

