# Three runs for the history scenarios: the first fails (deploy needs
# fixed=true), the second is interrupted (slow.please makes deploy wait),
# the third succeeds with -var fixed=true.
workflow "hist" {
  flags = {
    fixed = var.fixed
  }
}

variable "fixed" {
  type    = bool
  default = false
}

phase "prepare" {
  description = "Prepare"
  run         = ["bash", "-c", "echo preparing"]
  destroy     = ["bash", "-c", "echo undo prepare >> destroyed.txt"]
}

phase "deploy" {
  run     = ["bash", "deploy.sh"]
  env     = { FIXED = var.fixed }
  destroy = ["bash", "undeploy.sh"]
}

phase "finish" {
  run     = ["bash", "-c", "echo finishing"]
  destroy = ["bash", "-c", "echo undo finish >> destroyed.txt"]
}
