//! `cargo xtask sandbox`: serve the vendor sandboxes until Ctrl-C.

use std::process::Child;
use std::thread;
use std::time::Duration;

use crate::process::{cargo, run, show};
use crate::{Error, Result, VENDORS};

pub(crate) fn sandbox(args: &[String]) -> Result {
    let mut vendors = Vec::new();
    let mut passthrough = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--vendor" {
            let v = it
                .next()
                .ok_or_else(|| Error("`--vendor` needs a value".into()))?;
            vendors.push(v.clone());
        } else if let Some(v) = arg.strip_prefix("--vendor=") {
            vendors.push(v.to_owned());
        } else {
            passthrough.push(arg.clone());
        }
    }
    if vendors.is_empty() {
        vendors = VENDORS.iter().map(|v| (*v).to_owned()).collect();
    }

    // Build once, so two `cargo run`s do not race for the build lock.
    run(cargo(["build", "-p", "kefu-cli"]))?;

    let mut children: Vec<(String, Child)> = Vec::new();
    for vendor in &vendors {
        let mut cmd = cargo(["run", "-q", "-p", "kefu-cli", "--", "sandbox", "serve"]);
        cmd.args(["--vendor", vendor]).args(&passthrough);
        println!("$ {}", show(&cmd));
        match cmd.spawn() {
            Ok(child) => children.push((vendor.clone(), child)),
            Err(e) => {
                stop_all(&mut children);
                return Err(Error(format!("could not start the {vendor} sandbox: {e}")));
            }
        }
    }
    println!(
        "sandbox: serving {}; press Ctrl-C to stop",
        vendors.join(" and ")
    );

    // Ctrl-C reaches the children too (same process group); we just wait.
    // If one sandbox dies on its own, the others are stopped with it.
    while !children.is_empty() {
        let mut i = 0;
        while i < children.len() {
            let (vendor, child) = &mut children[i];
            match child.try_wait() {
                Ok(None) => i += 1,
                Ok(Some(status)) => {
                    let vendor = vendor.clone();
                    children.remove(i);
                    if !status.success() {
                        stop_all(&mut children);
                        return Err(Error(format!("the {vendor} sandbox exited ({status})")));
                    }
                }
                Err(e) => {
                    let vendor = vendor.clone();
                    children.remove(i);
                    stop_all(&mut children);
                    return Err(Error(format!("lost the {vendor} sandbox: {e}")));
                }
            }
        }
        thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// Stops the sandboxes this task started (by their handles, nothing else).
fn stop_all(children: &mut Vec<(String, Child)>) {
    for (vendor, child) in children.iter_mut() {
        if let Err(e) = child.kill() {
            eprintln!("could not stop the {vendor} sandbox: {e}");
        }
        let _ = child.wait();
    }
    children.clear();
}
