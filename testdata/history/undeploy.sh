if [[ -f slow.please ]]; then
  touch undeploy.started
  sleep 30
fi
echo "undo deploy" >> destroyed.txt
