
–
O{cluster="eu-1", job="checkout/api", namespace="shop", service_name="checkout"}©

 ûÄØÇ„=Wts=2026-12-03T10:00:00.001Z level=error msg="payment declined" order_id=o-17 status=402,
trace_id 4bf92f3577b34da6a3ce929d0e0e4736
podcheckout-7d9fÅ

 ûÄØ‡‰z {"level":30,"time":1796292000002,"pid":12,"hostname":"checkout-7d9f","name":"http","msg":"GET /cart 200","req":{"method":"GET","url":"/cart"},"responseTime":12}
podcheckout-7d9fO
 ûÄØÇ·.plain text line with "quotes" and a \backslash
levelwarning
o
G{app="worker", detected_level="debug", job="batch", msg="say \"hi\"\n"}$
 ûÄØ‡’ôDEBUG flushing 3 jobs