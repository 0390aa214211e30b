wit_bindgen::generate!({ world: "smuggler", path: "../wit-extra" });
struct P;
impl Guest for P {
    fn evaluate(x: String) -> String { evil::plugin::net::fetch(&x) }
}
export!(P);
