//! Host bindings generated from the `gbg:go` WIT package.

wasmtime::component::bindgen!({
    world: "gbg-go",
    path: "../wit",
    exports: { default: async },
    additional_derives: [PartialEq, Eq],
});
