workflow "legacy2" {}
variable "fail" {
  default = false
}
phase "prepare" {
  run = ["sh", "-c", "echo preparing"]
}
phase "deploy" {
  run = ["sh", "-c", "printf 'line one\\n\\tindented trace\\n'; if [ \"$FAIL\" = true ]; then exit 3; fi"]
  env = { FAIL = var.fail }
}
