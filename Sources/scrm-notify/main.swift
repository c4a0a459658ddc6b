print("scrm-notify")
