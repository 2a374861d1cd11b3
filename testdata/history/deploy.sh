echo "deploying with fixed=$FIXED"
if [[ -f slow.please ]]; then
  touch deploy.started
  sleep 30
fi
if [[ "$FIXED" != true ]]; then
  echo "error: the cluster needs fixed=true" >&2
  exit 4
fi
