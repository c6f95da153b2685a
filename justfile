# wouldblock tasks. `just` lists them.

# List the recipes.
default:
    @just --list

# Install the wasm32-wasip2 target and the lint components.
setup:
    rustup target add wasm32-wasip2
    rustup component add rustfmt clippy

# Build the guest scenario programs for wasm32-wasip2.
build-guest:
    cd guest && cargo build --release --target wasm32-wasip2

# Rebuild the C programs' components (guest/c; needs clang-14 and libclang-rt-14-dev-wasm32).
build-c:
    bash guest/c/build.sh

# Run every test (the README's test command).
test:
    cargo test --workspace

# Run the demo: bundled guests under every first-send form and every catalogue preset.
demo:
    cargo run --release -p wouldblock -- demo

# Format host, tests and guest.
fmt:
    cargo fmt --all
    cd guest && cargo fmt

# Lint host (x86_64) and guest (wasm32-wasip2) with warnings as errors.
clippy:
    cargo clippy --workspace --all-targets -- -D warnings
    cd guest && cargo clippy --target wasm32-wasip2 --all-targets -- -D warnings

# Everything CI runs.
ci:
    bash .ci/run
