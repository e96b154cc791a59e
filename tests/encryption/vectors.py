"""Published test vectors of ODK Central's encryption (getodk/central-backend
``test/unit/util/crypto.js`` and ``test/data/priv.pem``), to check our helper and module.

The end-to-end ciphertext was made by ODK Collect v1.22.4; the managed-key records open
with the passphrase ``supersecret``.
"""

PRIVATE_KEY_PEM = b"""-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAyYh7bSui/0xppQ+J3i5xghfao+559Rqg9X0xNbdMEsW35CzY
UfmC8sOzeeUiE4pG7HIEUmiJal+mo70UMDUlywXj9z053n0g6MmtLlUyBw0ZGhEZ
WHsfBxPQixdzY/c5i7sh0dFzWVBZ7UrqBc2qjRFUYxeXqHsAxSPClTH1nW47Mr2h
4juBLC7tBNZA3biZA/XTPt//hAuzv1d6MGiF3vQJXvFTNdfsh6Ckq4KXUsAv+07c
LtON4KjrKhqsVNNGbFssTUHVL4A9N3gsuRGt329LHOKBxQUGEnhMM2MEtvk4kaVQ
rgCqpk1pMU/4HlFtRjOoKdAIuzzxIl56gNdRUQIDAQABAoIBAAh4BcfGp6jWyzG2
f3KovPhcjEGLSfC018K5KhI5y6aWTG34PHblZ01QUAB1UoNDsktJV0knP28K6fPD
hE+qTBZF/xhqqD3jQDjIEND7n4iQUle4FDqVoe4oNQFDUQQIZZCronYwuQotyDmi
hkcMJ3iaG9O2MBdSY+vk3s5qNQoSfqhGwBR64ds5ndORwNCrp55pdM2ZodKpSrJI
dJ/RvWTo/z5Oo9f8VFFWB7SzqL/BYAzFojKiaCbn0i22DgOGds3gWPJUzlSkHevo
NaQClrW5ZoI0gK7qjgO5pj8vj5dx7O1EQzB/H+CmFy7vazZVuEG7ZMUVclPa+FfF
H2kt78kCgYEA76SP+e/r028Maxmf+Hsc8xjYLv/1/vEZni6mcF4c3AimwVm2oRRg
PFfKSWY9YjGL4UvnLVclLs3ALM1Q/8Ppv8dOGe6mNOsvn3E77R5Ljp0frCYDeggB
6qZFlvQbgq5wSMdarnnRaZCLklcHVpTj2ieoVOjkne1i886VP1x3kdcCgYEA10oB
ARHTpP2x7vBFTkuC5R9ByAdJPhVaEYPBr6D+xOt1nB33YcJDym51ByuscH1noxNE
09Bf1/rt2S1b03XpH55AToqxIVc8fE7eOCXQd1oY8Pzpi2ro/jVirP1MdI3g1pTT
DNiv3sJJMsiQ79QT6Q+0LddNQuXmPcUOR8GHoRcCgYEA3XGj2cHqmaa0QwOa33Jk
ff8nRccg+kSw94sEIjHVWT5lWaYdLRw3EYvOUaU4c9R0/eu15B/zLBzUyJGxl6bi
CWWStkPhMmVhzGRGjAbCqzZmXh2CePGNU9fx1lwcT9YBzD7rfO70pCf90Wy6Szeq
lZyv4EaVe5oxJjpvj+1SUGECgYAOy681+5uoAydvXGPm9ZmRVYyXyqhl8+G0wnFV
OKNJtUTn7cdKmKdACkdQrtezA2tT8ccRJ4jutvgRrORarAfRfHa+7xktSWmGwYTU
JwUkrrR4G2mRg09v6QtXCDFw8S86kA/RGjM8A+4z50TOtqyHn+SqIdnVdydTp29L
zykbEQKBgQC1FcRKIRkn6IEAHaI0QQl793vxgo/g3oJoRXLptNy63eBygd0x+qY3
TD8cBMLaJs5DMC5zNGW8YQXtaADMbp0jV6aD/7Qer/SaXk187bGhF5KfSCqjj1yx
uR0+sgNnVaENMkxsyrVlUXuMivNdPAob6dtspaiEGyseFa/N8RinIg==
-----END RSA PRIVATE KEY-----
"""

WRAPPED_KEY = (
    "heF9tzGvB1jjjBM5AAADnTgrFwmtyjESyCNk86oiX/r+WCohyEX3f4jOswK4/IBLx9VNW4k1wbo0t9PMp4Ie/PAucy"
    "BwyqKpx6coGkk8nCeznzisLe07fr9a6MEFOuBqKWun28M/cDUasoyg8//ytMVatSMGjv+Nkj8L7QtlMH6iDJoWZQfw"
    "vxgDeCrBn2+jr+qwdlQzxwyi5taV+zB9s+FDgJ14n8AyY3t4x0n+qkOqEvMVKIFc4ofRXBaG5N/21Uy+qA91Ap26sV"
    "Do7g1vmG+gND/f+Mx1gBQcmM0EKHowUT5cIdrG6N/XTHVpCWkH6qxjhuWyayCGBT+Frxf+Sg=="
)
AES_KEY = "3TJoHf74zHbDwG3Ta+bcvfUr50C6yF/astfu+CdSnQU="

IV_INSTANCE_ID = "uuid:22525f8e-4f2d-41ed-94da-4c46a2478448"
IVS = {
    0: "39bbb0890f3222269da68b172146477a",
    1: "39bcb0890f3222269da68b172146477a",
    8: "39bcb18a103323279ea68b172146477a",
    15: "39bcb18a103323279ea78c182247487b",
    23: "3abdb28b113424289ea78c182247487b",
    31: "3abdb28b113424289fa88d192348497c",
}

COLLECT_INSTANCE_ID = "uuid:99b303d9-6494-477b-a30d-d8aae8867335"
COLLECT_WRAPPED_KEY = (
    "iyEB1LAlvVE8uaW0HuhLhzwcLceIukqfgusDNdDEE2FFxVtUtSI3FiOuNxhgI/Zbgnaabh/vqeZ3yLXwv0f66pAbN0"
    "n8kM9f84VJR18fdUp6doOz7o8IQD7gc3ZfbRXweab/NxnahfYa9ij0Kax1LTKS05Oodk2MewkzwfBhdbf/CfiBP1HS"
    "skDio40jdW5f04GkqZsFCPUluF2DfMnwYCo0wdwf2m8o+lSNR+vrFeEYG7LtGE4X90pVrQnJHwFWHGjSwJpg/USn5s"
    "kBioDKUCv/Dva9xJ+JXUz+QSg6LOuP+SDxsrmf36WKrnE8kWfN4oaBdmIwFSStkLH9foNXUw=="
)
COLLECT_CIPHERTEXT = (
    "kMhJdk0mZOqvlxndUO3v4+UPvfYoc+bbkPmF3QmhoP7lP/QjHbzqw/IfZxQ54D328eCc4V6jtbrjeAXV+m1cWsCGGL"
    "W5KwTAxBjPBXzsZrUeY0RISVJ1g9BJoXfSRAjYMrFYOM907BFUIYYxMqpVWGy1lo8ljqY+Sgq1VphkQk/TQGgOVYFA"
    "LHDLOYnLKuLHvwBLQQwK3lje8CwNlf/b2rY9qfGC4P1emoiP+YzkLp8eH6x/HfMvRIFoZEaom1i5s3SU4WVwe2Tno4"
    "jKD69ojMlQN6VKB7DK4xaRSs2C7zfDm63n1WCyyOAj8mASIFhb3sc3hD56HTJFUV/TH3UVlzP7oPm/Mm7nEcU3+HdS"
    "Swm3I1qFYhsXfVRym41IlbC4Twf660/kUZrugA7Zqd5K9Un3lOVTzYowaF+m5OIOO56wff3zPBxeOVjANDKR7V6/"
)
COLLECT_TRUNCATED = (
    "kMhJdk0mZOqvlxndUO3v4+UPvfYoc+bbkPmF3QmhoP7lP/QjHbzqw/IfZxQ54D328eCc4V6jtbrjeAXV+m1cWsCGGL"
    "W5KwTAxBjPBXzsZrUeY0RISVJ1g9BJoXfSRAjYMrFYOM907BFUIYYxMqpVWGy1lo8ljqY+Sgq1VphkQk/TQGgOVYFA"
    "LHDLOYnLKuLHvwBLQQwK3lje8CwNlf/b2rY9qfGC4P1emoiP+YzkLp8eH6x/HfMvRIFoZEaom1i5s3SU4WVwe2Tno4"
    "jKD69ojMlQN6VKB7DK4xaRSs2C7zfDm63n1WCyyOAj8mASIFhb3sc3hD56HTJFUV/TH3UVlzP7oPm/Mm7nEcU3+HdS"
    "Swm3I1qFYhsXfVRym41IlbC4Twf660/kUZrugA7Zqd5K9Un3lOVTzYowaF+m5OIOO56wff3zPBxeOVjANA=="
)
COLLECT_PLAINTEXT = (
    b'<?xml version=\'1.0\' ?><data id="encrypted" version="working3" xmlns:xsd="http://www.w'
    b'3.org/2001/XMLSchema" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openros'
    b'a.org/javarosa"><meta><instanceID>uuid:99b303d9-6494-477b-a30d-d8aae8867335</instance'
    b"ID></meta><name>bob</name><age>30</age><file>1561432532482.jpg</file></data>"
)

MANAGED_RECORDS = [
    {
        "iv": "7+ELinzekqZOaOiGSRgYxw==",
        "salt": "7jE50XhstDF97pN4YlPS/g==",
        "pubkey": (
            "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUlJQklqQU5CZ2txaGtpRzl3MEJBUUVGQUFPQ0FROEFN"
            "SUlCQ2dLQ0FRRUFxcHR1dnhpQWtINE5vdVRJTU1sVQp1Q2VxODJjNXdaZWEyQ3R4Uzg1U1A2NCsxQWJL"
            "SHdHWDhXYU5YRTNyUlZOQ3l5SzYvQTlWSWJ3ZWg5OXZjOEhnCnI2bFplcjhwOGhtTlFheXdUbThHczA2"
            "NllNTkQ3SExVY2h4dmdML2xYQjVwYlVtNDk1VkQrbE9HODJkbEExTSsKODFTTHBhaUovSzdNcVhHK2Zw"
            "bkM0UXpVWlRNMXY5RUlyRTVvbDFVL1JYQi9IZERzaXRwNnlROEJwNm5TdVlzRQoveURwUlNGTEFCZWFC"
            "TkN6cGxLZHY5ZVFaSmdtNjV2MVcxNlBteGNNRmVXM21RcHJOWTczZ1YvUFpCL25vTjdlClZ2cXl6R0hH"
            "ajlJZmFBMnVjandVYmxjbFFVNElIR1FBaEtCZGlReEpHL1g2TDVqdVpQU3NYQW5NbENqR21vWm4KU1FJ"
            "REFRQUIKLS0tLS1FTkQgUFVCTElDIEtFWS0tLS0tCg=="
        ),
        "privkey": (
            "+sMs6tIbJE9S4NicQtDFsAUazH4ajwxGhEjq+Pj7lxZ1ICA5pQEOj/cGBSADVa/BV0tp3j04fw2r+ocJ"
            "HclccUMhVfEE9RRzMB1G3/3T+Ch7YqPs4+tPG2EbDwl4DAnw9uYKS9qqIRhfEB49uOg3aqYNk2E50rXh"
            "HSjW+3BmZnRqa0AzZElMxAqWKfSq6Qe88wm9ePN+xChO09s5luTQOfDXKp277Hy7wCulhz6Q1I2nyjvV"
            "tQI1gZz1xzD2YdFSbhgD/a/qaTpVnT5/wToFXyAi7vQEYWignw2zyKpk3/QVc6dKUYALA7ogxO6V9X/M"
            "9z2YZ9JbwqkIxWp8m7VogQLEvjm/7Pidz5iykTLkslUt3HXsIFrAarvJOkS1eeC0pWj2y9g+xZqDGvKg"
            "0v3kWRILMc1u4L+3KYnrreU6s5+dKyKQm6jinPjF5pZ+gOVVx9fp9zsLgMeiLnX8FCQNaHF8Dulji+O9"
            "U8mY6XQo6HFLpjKKuMDhy/SkQEytA/vF4D7Y+OuOuPlzpZuKRRW8UhxKgDgc9jVlpXZXyUkn9F9Eu5C1"
            "JKET5+WZlNYJdnpbJFugaVdNyutQxc/YTm7iqllHVJkELGKz5dQg3T7JzUjOWSsbsxWNT2Ozt9UZqYwm"
            "UJtghkopeZDaDeBys2P6a862yu8jXSOtHuxxiwvTMHiNKrD53kg/Qgw2pv4qQi5bBWB0B6lEonrVNKi9"
            "bugOFAjjwQCP8S98SXsgVzl9JXjKBQBt5wU/AQ/QI3ov9jsfeTiyjgo9DMYqGDL0YCOEO7W0ZQG4Hjgw"
            "2XdWgB+xmU3x/msNZb8uFBkx503pBI7X42AKJknfFEcjCfYDcfaCRAlp7zifcJ3TRJuuoIdhnVgoKOMB"
            "Jl/GHpk85Rq5FgN3YZYOObirbnop8rUJKM7RN1/nSm97tXKY+kS1o7b+Di+cxO9w8gV/eb06MAgtq75j"
            "EO+wIvMpMuxfS02xdOWTWjkwGoyqsS4aUK7T2kY8595Bh3rMRFsAjgp6+2+PemOEjcBurXGs2+U8oEgP"
            "OPJc9erhZSRy0UZk6ciPW8jqfs5Y+//8Dxd4Q9prAIPoKulPwrhEkDGC3o1rxXflHbkFjlCUAz7Wapvp"
            "dOBB6rkXWs6ttphLAdAO9c8qdkrGfskI+FMdcKCpPrfAGVQlIStrEPmzcEgQHKRUJs3Rn2EzgrnPyBUN"
            "xIDOYi7b83tT2Lzx6wttkeOx7dp7v8zBtW/umJdhEFrIL7swxogez2mb5fhjWt+I4r4fNMV5rJusLU0y"
            "Ev7kHK/m7Sb55G7CKeVbhPE9PX6sII5z/XhfXrcJqG3+Z52r5aknG3H2k/7EHkZ/jXRNkVA+vPWi4ViA"
            "TMTW2YT1JYHbkoD211OKSOmtafdII76N3Jjz3N74VsFrbZZI8etNIeg7FEBhguH7HGVO/O1uDcsSEGI1"
            "Qu6ts5OFRdSy7mVj/0lsKowVyipkFwwAEk3fQhdvmQodhv8fhitos7iWvlB6UhxQpt0ELMNTNeIbyedo"
            "0B9RHLZheOEKVxYvoNXTYW9aRn38CVg72pCbMPnstI10rxbhZohFY9v2ClbJqXPe3EXEyxM8pq498yvY"
            "n1BjulPUJAaTGpHSAIKgclBkElcLMXqohJ/C4F4hgIzUApQrGQByeILmNz+RwKyY13NgF4JJpwb1WgDR"
            "X30x3xqJE5rVgVsC0RgEzy5BNfwC7tkajfgQzWNBPzwKB2E9Pc0G/357mxAOkujSyMLWdZYBpy6NsFAm"
            "lvK+WgeAuKb/MIdL6Ak8ImToSVHr8U3FZ6LjzznSIs/iA4G2euAyY4PsA7HPLRYWod/2d+3DgqrONgE5"
            "szXc2sxlfVjbWzGKbnZGHgNuhriekl2G/FtRDmURUI/tI5hklrTApYi0TeM6xN0j2BVi6rVaTggI5sH6"
            "Ra7/xGNaQBiJBqN8DKZpbnZfA1kzwZF8XkQJkmAzS8jfbS2JoT7C/U+icKA8trRRmdftO/jztUk7uor+"
            "kPY+C0QpVxA1IAH9CqCOWGUmCktSBQ29K8/2iU/eu9BhB7Cn/EzRwCvInIOnXIQipjWzK0H5Zg/Dg7/l"
            "b7ez5ne10iwnNbxWOdRR2gRTFP6A7mb8/O7fMov5HzGJS60/K6rLORLV9g9Pzc95GuVfyzNZGs4xyhsD"
            "xmjoQjTES/sZaegf2JSzr9emBwlwFfwmBbD7T25Y7Q6oVxOUs/5YXkD0mkaJaepOHjKpsMLy0f+wfcB7"
            "phAMDUx6Aelowf2NtIgDp2wnFZaGeeH8cnyStNlGgPQ="
        ),
    },
    {
        "iv": "n8nUrZ4vr2ivj4DI/9L3Iw==",
        "salt": "wlws0kI3fosgvE8g1z9rRw==",
        "pubkey": (
            "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUlJQklqQU5CZ2txaGtpRzl3MEJBUUVGQUFPQ0FROEFN"
            "SUlCQ2dLQ0FRRUEzQWp4bG9pM3lFZkh1NytQZSs3OAplR25zTEpuNUNMMmE1akd4SkhPemZRSDQ1Ti9t"
            "Z0tpN2J3WVhyYldST0M0UHFSelRzMm1FZ1JvRHE1SFJSS2VMCkNTWjF0MUo3QlNvMytzRXRxTG16VlNk"
            "d3NpNjdwTHM1N0dteVltN1QwTSttS3Bka1IrUStJRWFoczBDZGUrc1oKVExBZzhqdkJPTDZGN1MvYyto"
            "eXdTNjJEVUNBd093eGhwNHhTWjdjbzVCS2JMOHEzZS9lOUh6elFoNHVZS05rTAp2ZkEybi82MVFEd3dI"
            "cElXcm5pSHRmMFRFLzFaY0c2MnUwK3F0aHhXNE93K0lrRHE2VnNBbkxHd3p2VDIzWXZpCk1LYWtESThz"
            "NUtudm5wenI4TFo4ZnVGcTFHTTIwWVg2cDRIdWE5ZUF0TlZmckNiRXk4SUFDVnpITzY2VnlHWXMKcXdJ"
            "REFRQUIKLS0tLS1FTkQgUFVCTElDIEtFWS0tLS0tCg=="
        ),
        "privkey": (
            "8ZJvFdz2JFEDd26ZThKLCwXPCjL9pDkK9jzsS+kBtmiiRHN1bm8lFg9HzKGN0q6nwwtbD3qoZ39d/sU3"
            "MYGbqrpcWO0TdFZbRUMlqrZ4gtqDkM35dSvrfkP4CyIlNWhyJ2Tn5Vs/Vi8+uN7xF9CHE+D5QSaOLT4C"
            "gzUWE6urqbFwKbD0Im0GWkGG3YjHj89xfpaYJZ2qVKIGavCdO9+se2zePwCgiD644AqYtlCzD5/KC1Cl"
            "DVqg/DHAm13s2lq+WUi4CUFizeI4c7tCfqxIDpimiG6ho3B8Mg7eEN21GSsG5WWw4BAat/TfLihmJAcc"
            "Mnv7BKcd3XxtY5dc/GrKyqsFZRlQoMDqyGFQ2NzA6Ic0o3CoZ5mY9NX0h4pUF/BfDxjiHWV1Dvo+B3py"
            "Bvp82UDMreytL/e9nJAKSTTihDLmpIygxFZ5h/FYaC+7p2BczA0BBnfL0iHIoSal28ea6sk90EmLhsDh"
            "6t4umJ6Fldd3makuT4Dj/Dhp1w7Y7O0P9x2X1OVYgHDqbuMnHNFyhPGSh9Okc/D+mNcSfrTZHKki+js5"
            "BuN32YMPDOBq7ORChieyI7Ox70odVhzrW+m75kXUfFG8DPfLtyjBl7maZSlv7JpYUjpfUyvIWk5qBUy6"
            "fAp/esOljzuoOYOprmP/dWzkO/DsoONWMkAQWymLxkJ6hsu9JfSWpa07wtCsjP8Fe53NLdZDSN/ebkQx"
            "PBRoR50uo71fAnwtUVt447eia8DBLgyvd0R4xB5XiU/XcI7Rr4I0JDMYsBi3OAT/9XryMKkTGtZ1eEYF"
            "gordL6AcEU5XpMLva+YolNlJXxjb7f1J3ZRYBPARtcDPyUHuo4nz6uh/iKnRkKVA4ocrRqxWaJM2VyeT"
            "+pB+VjjflbDsrKfqNmUKlY1Cj48Ww/0iG8ySmAnCWGoOMH83sBZfXmRn/EieV14zskFBbhnXXBrMV7jC"
            "Xsqdvc8jAeBVVITRRK9nukc7U4y91XuKcaZ678ghK/eNMvN1PPLKFpe7jvAvbNhJJVmNShjkku/7qP0J"
            "v4UWaieVdRe897mcTE/m9fhvC8RKCKBzYNotWrwFxtqk2Rf7zsFa5F8OTUQ7syZ4lyRLxi9ORsTPf0Vl"
            "AW4k1Dk/ZR7eqH2FTZECLz9+Qm1HG864WYTJIikULNW7tdiNqc20KX+kRbSJ7tuY9RklgLXmA3Z5MMlK"
            "0usIXvXx6FJPsWd5mvtOAMOZUr/JhdDNuuqCUBhoYyvuIqUcbXg+nBmPJ6CvM4qU5y9vO1fc1j3l0Ehk"
            "xR8aEYzxnD5dWiFNnd6oyRask31oKkl//l0k8KX0bhhF95TAg6Sp69V+S1dUr/r8zUHNHqSf+PnGP3TD"
            "WrzYb4PymCjf1mfGBADxAIYJoFs5G8BFFJfZ+YUPG3wgK1S2bTwg1W3/cDn+Cov4MM1Ea9zSVpgpOLD5"
            "BqLuz+mUhi+DjCP/YfoXuZ3ITvGHwYzRvBG9YZK1H5yGi/yCIzsiMyJXNRqdgF7PydyrnIAIVrnwWMvP"
            "guqEEL0+ETvlBeKpAh0HlyF62Y4YiNN7t7+v3fGjSENSXuNIV9fsI9nPHI8xsGQfffKRykgFsf1PLOwc"
            "3VN9SqjGJ0CrT6wu94FnssjmE84dObOqDEcYTgYydNxcA839bLi7nkSZT1ilc9ZuDUC5///QHETWMrqx"
            "gSOrZwloXYvMMEo/KFXuvceLLkYgpiwXNiq54LMEwef8mhyHsGJL5rnvfZZ4m4Nl4CYdd+W7jQXpW8Me"
            "Em9lavzivAomEChuoqUgaopgd6kCkZ0efBi2JxD8QnZsbmlW92WTUqxNzUHhkbI1hGZEwp0Jcg5XjGEb"
            "N6vzUiN40Pa7aj8wLbBwVcmShrQ2tm8lqF797bRBF0InjIHQE4v6AoPJfnVVqMaCxUGg9C/TYmtFWDGA"
            "+JjAB8qYvI+BaMmORkN7tG9SOOglbmdIdVPFUQwafgyDJy30gKaUVlXgksJm49EAC3xYxFAGcXTqUdmn"
            "f07+nKDiT0hDnSywRFbknzmONL93zdU+sM044HNaWcJbAyLi6Ac5bHi008u+GBWMXT7j2zpo5KHL1AUh"
            "gT2OwYGvTCw0i/Oh0ly9M7Rx/0Ar/vX7wJhSdCsJN9wuzMvq5yXNcnnfJWgC89LaQhEb3Lt6Us/5qziw"
            "520FzBXaEHn/YuLw3FZTQfvHKTHA6GomhwfLsVj8fe7UvjKXa2H3VcW3l43h+RP7VvN22v6bfVwdf2Wv"
            "gi0Us0e/OQYK4z6jMI8Qxw4CQPYaDmYRwO2mr9InVtY="
        ),
    },
]
MANAGED_PASSPHRASE = "supersecret"
