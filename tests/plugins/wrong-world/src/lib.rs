wit_bindgen::generate!({ world: "not-a-hook", path: "../wit-extra" });
struct P;
impl Guest for P {
    fn hello() -> String { "hi".into() }
}
export!(P);
