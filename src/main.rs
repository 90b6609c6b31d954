fn main() {
    println!("hoist");
}
